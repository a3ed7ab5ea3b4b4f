// The server as `npm start` runs it (npm run build:server): one ESM bundle of Lookout with its
// dependencies, so that start-up does not resolve and compile hundreds of files. Native modules,
// Prisma's runtime (it loads its query compiler from beside itself) and GraphiQL's renderer (loaded
// on first use) stay outside; what is imported only when first used (undici, for deliveries) is a
// chunk of its own beside the bundle, compiled then. The benchmarks measure their Lookout bundled
// the same way.
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * Prisma's runtime, a CommonJS module, required rather than imported: imported, node first parses
 * it to find its export names (cjs-module-lexer, ~20 ms of every start in a CPU profile of it).
 */
const requirePrismaRuntime: Plugin = {
  name: 'require-prisma-runtime',
  setup(bundle) {
    const runtime = '@prisma/client/runtime/client';
    bundle.onResolve({ filter: /^@prisma\/client\/runtime\/client$/ }, (args) =>
      args.kind === 'import-statement' ? { path: runtime, namespace: 'required' } : undefined,
    );
    bundle.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * graphql as its ES modules, for every import of it and of its files: bundled as CommonJS (its
 * `main`), every use of one of its exports from another module went through two getters (~5% of a
 * busy server's CPU in a profile). One copy only, or its classes would not be its classes.
 */
const graphqlAsModules: Plugin = {
  name: 'graphql-as-modules',
  setup(bundle) {
    const root = path.dirname(createRequire(import.meta.url).resolve('graphql/package.json'));
    bundle.onResolve({ filter: /^graphql(\/.*)?$/ }, (args) => ({ path: path.join(root, `${args.path.slice('graphql'.length).replace(/\.m?js$/, '') || '/index'}.mjs`) }));
  },
};

export async function bundleServer(entry: string, outfile: string): Promise<void> {
  const { dir, name } = path.parse(outfile);
  await build({
    entryPoints: { [name]: entry },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    // What npm start runs is the production server: graphql's checks that its classes come from one
    // copy of it (a bundle has one) ran on every type test of every execution.
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    plugins: [requirePrismaRuntime, graphqlAsModules],
    external: ['better-sqlite3', '@prisma/client', '@graphql-yoga/render-graphiql', 'pg-native', 'bufferutil', 'utf-8-validate'],
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire as lookoutRequire } from 'node:module'; const require = lookoutRequire(import.meta.url);" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleServer('api/main.ts', 'dist/server.mjs');
