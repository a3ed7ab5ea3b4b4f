import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Node loads graphql's CommonJS build (its package.json has no "exports"); Vite would pick the
// ESM one for our own files, and two copies of graphql break `instanceof GraphQLError`.
const oneGraphql = { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] };

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        resolve: oneGraphql,
        test: { name: 'api', include: ['api/**/*.test.ts', 'test/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] },
      },
      {
        plugins: [react()],
        resolve: oneGraphql,
        test: { name: 'client', include: ['client/src/**/*.test.{ts,tsx}'], environment: 'jsdom' },
      },
    ],
  },
});
