import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.ts';

const require = createRequire(import.meta.url);

// Node loads graphql's CommonJS build (its package.json has no "exports"); Vite would pick the
// ESM one for our own files, and two copies of graphql break `instanceof GraphQLError`.
const oneGraphql = { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] };

/**
 * The tests whose outcome depends on the storage engine: the store and the service over it, replicas,
 * migrations, restarts and shutdown with data, readiness when the database goes, the queries Prisma
 * runs for the schema. They run on SQLite and again on PostgreSQL; every other test (GraphQL,
 * hooks, CLI, pages) goes through the same store interface and runs once, on SQLite.
 */
const ENGINE_TESTS = [
  'api/db/attention-store.test.ts',
  'api/db/small-tables.test.ts',
  'test/replicas.test.ts',
  'test/postgresql-migrations.test.ts',
  'test/schema-drift.test.ts',
  'test/persistence.test.ts',
  'test/shutdown.test.ts',
  'test/health.test.ts',
  'test/deployment.test.ts',
  'test/sessions-query.test.ts',
  'test/answer-anywhere-replicas.test.ts',
  'test/insights.test.ts',
  'test/postgresql-pool.test.ts',
];

export default defineConfig({
  test: {
    // Most tests wait on servers, browsers and child processes more than they compute: more files at
    // once than cores (vitest's default here is one).
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        resolve: oneGraphql,
        test: {
          name: 'api',
          include: ['api/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/agents/**'],
          globalSetup: ['test/global-setup.ts'],
          // A worker keeps the modules it loaded for its next file (importing the server's graph was
          // a third of the time); every test starts its own server on its own database.
          isolate: false,
          // Real servers, browsers and child processes, three test files at once on a 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // A poll waits for a state, not a time: up to most of the test's own limit.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      // The engine's tests again, on PostgreSQL.
      {
        resolve: oneGraphql,
        test: {
          name: 'api-postgresql',
          include: ENGINE_TESTS,
          isolate: false,
          globalSetup: ['test/global-setup-postgresql.ts'],
          env: { LOOKOUT_TEST_DATABASE: 'postgresql' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // A poll waits for a state, not a time: up to most of the test's own limit.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      // The real agents' CLIs, run by `npm run test:agents` inside a network namespace.
      {
        resolve: oneGraphql,
        test: {
          name: 'agents',
          include: ['test/agents/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 30_000,
          // Each scenario runs a whole Claude Code: one at a time on two cores.
          fileParallelism: false,
        },
      },
      {
        plugins: [react()],
        resolve: oneGraphql,
        test: { name: 'client', include: ['client/src/**/*.test.{ts,tsx}'], environment: 'jsdom' },
      },
    ],
  },
});
