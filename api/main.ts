// `npm start`: runs Lookout until SIGINT or SIGTERM.
import { ConfigError, loadConfig } from './config.ts';
import { startLookout } from './server.ts';

try {
  const config = loadConfig();
  const lookout = await startLookout(config);
  console.log(`Lookout is running at ${lookout.url.replace(/\/graphql$/, '')} (GraphiQL: ${lookout.url}); database ${config.databaseFile}`);
  const shutdown = (signal: string) => {
    console.log(`${signal}: finishing in-flight work and shutting down…`);
    lookout.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
