// The server as `npm start` runs it (npm run build:server): one ESM bundle of Lookout with its
// dependencies, so that start-up does not resolve and compile hundreds of files. Native modules,
// Prisma's runtime (it loads its query compiler from beside itself) and GraphiQL's renderer (loaded
// on first use) stay outside; what is imported only when first used (undici, for deliveries) is a
// chunk of its own beside the bundle, compiled then. The benchmarks measure their Lookout bundled
// the same way.
import path from 'node:path';
import { build } from 'esbuild';

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
    logLevel: 'warning',
    external: ['better-sqlite3', '@prisma/client', '@graphql-yoga/render-graphiql', 'pg-native', 'bufferutil', 'utf-8-validate'],
    // Bundled CommonJS dependencies call require().
    banner: { js: "import { createRequire as lookoutRequire } from 'node:module'; const require = lookoutRequire(import.meta.url);" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleServer('api/main.ts', 'dist/server.mjs');
