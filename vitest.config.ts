import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Node loads graphql's CommonJS build (its package.json has no "exports"); Vite would pick the
// ESM one for our own files, and two copies of graphql break `instanceof GraphQLError`.
const oneGraphql = { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: oneGraphql,
        test: {
          name: 'api',
          include: ['api/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/agents/**'],
          globalSetup: ['test/global-setup.ts'],
          // Real servers, browsers and child processes on a shared 2-core machine.
          testTimeout: 20_000,
          hookTimeout: 30_000,
          // A poll waits for a state, not a time: up to most of the test's own limit.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      // The same tests again, on PostgreSQL.
      {
        resolve: oneGraphql,
        test: {
          name: 'api-postgresql',
          include: ['api/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/agents/**'],
          globalSetup: ['test/global-setup-postgresql.ts'],
          env: { LOOKOUT_TEST_DATABASE: 'postgresql' },
          testTimeout: 20_000,
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
