// A Lookout under measurement, in its own process: the real server on port 0.
import { loadConfig } from '../api/config.ts';
import { startLookout } from '../api/http/server.ts';
import { serveParent, settledHeap } from './children.ts';
import { BENCH_ENV } from './seed.ts';

// A SQLite file's path, or a database URL (file: or postgresql://).
const [database] = process.argv.slice(2) as [string];
const pushHosts = process.env.LOOKOUT_PUSH_HOSTS ? { LOOKOUT_PUSH_HOSTS: process.env.LOOKOUT_PUSH_HOSTS } : {};
// A function, not top-level await: bundled, this is a CommonJS script, as the server is (`api/bundle.ts`).
async function main() {
  const lookout = await startLookout(loadConfig({ ...BENCH_ENV, ...pushHosts, PORT: '0', DATABASE_URL: /^(file:|postgres)/.test(database) ? database : `file:${database}` }));
  // Exit normally on SIGTERM, so that a CPU profile (npm run bench -- --profile) gets written.
  process.once('SIGTERM', () => process.exit(0));
  serveParent(
    {
      heap: () => settledHeap(),
      /** CPU milliseconds this process has used so far (user and system). */
      cpu: () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      },
      stop: async () => {
        await lookout.stop();
        setImmediate(() => process.exit(0));
      },
    },
    { url: lookout.url, port: lookout.port },
  );
}

void main();
