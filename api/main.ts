// `npm start`: runs Lookout until SIGINT or SIGTERM. With `migrate` (`lookout migrate`, a one-shot
// migration service): only brings the database's schema up to date, then exits.
import { ConfigError, loadConfig } from './config.ts';
import { migrateDatabase } from './db/database.ts';
import { startLookout } from './http/server.ts';

/** The database's location as it may be printed: without a password. */
const shown = (database: string) => database.replace(/\/\/[^@/]*@/, '//…@');

// A function, not top-level await: the bundle is a CommonJS script (`api/bundle.ts`).
async function main(): Promise<void> {
  const config = loadConfig();
  if (process.argv[2] === 'migrate') {
    const applied = await migrateDatabase(config.database);
    console.log(applied.length ? `Applied ${applied.length} migration(s) to ${shown(config.database)}: ${applied.join(', ')}` : `${shown(config.database)} is up to date.`);
    process.exit(0);
  }
  const lookout = await startLookout(config);
  console.log(`Lookout is running at ${lookout.url.replace(/\/graphql$/, '')} (GraphiQL: ${lookout.url}); database ${shown(config.database)}`);
  const shutdown = (signal: string) => {
    // Asked to end by a process manager (SIGTERM), it first says "not ready" for the drain time, still serving.
    const drainMs = signal === 'SIGTERM' ? config.drainMs : 0;
    console.log(`${signal}: ${drainMs ? `not ready for ${drainMs / 1000} s, then ` : ''}finishing in-flight work and shutting down…`);
    lookout
      .drain(drainMs)
      .then(() => lookout.stop())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
