// The server as `npm start` runs it (npm run build:server): one CommonJS bundle of Lookout with its
// dependencies (`dist/server.cjs`), so that start-up does not resolve and compile hundreds of files,
// started by `dist/server.mjs` (`api/boot.ts`) from the V8 code cache this build makes for it by
// running it once. Native modules, Prisma's runtime (it loads its query compiler from beside itself)
// and GraphiQL's renderer (loaded on first use) stay outside. The benchmarks measure their Lookout
// bundled the same way.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleOf, cacheOf, WRITE_CODE_CACHE } from './code-cache.ts';

/**
 * Prisma's generated client imports its query compiler's ES modules when first asked; the bundle
 * requires their CommonJS twins instead (`import()` in a script started from a code cache fails on
 * Node 20: V8 loses the script's import callback).
 */
const prismaRuntimeAsCommonJs: Plugin = {
  name: 'prisma-runtime-as-commonjs',
  setup(bundle) {
    bundle.onResolve({ filter: /^@prisma\/client\/runtime\/.*\.mjs$/ }, (args) => ({ path: args.path.replace(/\.mjs$/, '.js'), external: true }));
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

/** Bundles `entry` beside `start` (`name.mjs` starts `name.cjs`); the code cache of an earlier build goes. */
export async function bundleServer(entry: string, start: string): Promise<void> {
  const bundle = bundleOf(start);
  const { metafile } = await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // Every import() a require, for the reason above; what it loads is in the bundle or CommonJS.
    supported: { 'dynamic-import': false },
    // What npm start runs is the production server: graphql's checks that its classes come from one
    // copy of it (a bundle has one) ran on every type test of every execution.
    define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': 'LOOKOUT_BUNDLE_URL' },
    banner: { js: "const LOOKOUT_BUNDLE_URL = require('node:url').pathToFileURL(__filename).href;" },
    // Without comments or indentation, in ASCII: a third smaller, and a string V8 keeps one byte a
    // character (one non-ASCII character in a comment made the whole bundle two bytes a character).
    minifyWhitespace: true,
    charset: 'ascii',
    legalComments: 'external',
    logLevel: 'warning',
    plugins: [prismaRuntimeAsCommonJs, graphqlAsModules],
    external: ['better-sqlite3', '@prisma/client', '@graphql-yoga/render-graphiql', 'pg-native', 'bufferutil', 'utf-8-validate'],
    metafile: true,
  });
  const graphqlFiles = Object.keys(metafile.inputs).filter((input) => input.startsWith('node_modules/graphql/'));
  const graphqlScripts = graphqlFiles.filter((input) => !input.endsWith('.mjs'));
  if (graphqlScripts.length) throw new Error(`${bundle} must hold graphql once, as its ES modules: it holds ${graphqlScripts.join(', ')}.`);
  // The start reads it as one byte a character (`api/boot.ts`): esbuild leaves a regular expression's characters as they are.
  const outside = /[^\x00-\x7f]/.exec(await readFile(bundle, 'latin1'));
  if (outside) throw new Error(`${bundle} holds a character outside ASCII (${JSON.stringify(outside.input.slice(outside.index - 40, outside.index + 40))}): write it as an escape.`);
  await build({ entryPoints: [fileURLToPath(new URL('boot.ts', import.meta.url))], outfile: start, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  await rm(cacheOf(bundle), { force: true });
}

/** What the priming run asks: a write and the feed, as agents and the page do first. */
const PRIMING = `mutation Prime { recordSpeaker(input: { sessionId: "prime", speaker: USER, title: "Prime" }) { __typename } }
query Feed { attentionSessions { latestSeq edges { node { id title project branch state waitDetail lastEventAt attention { tier reason label detail since } } } } attentionSummary { total } }`;

/**
 * Runs the build once, on a database of its own, through a write and a feed query, and stops it:
 * it writes its code cache as it exits, with every function that run compiled.
 */
export async function primeCodeCache(start: string): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-prime-'));
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [start], {
      // Only what the run needs: none of the caller's Lookout settings (its database, its channels).
      env: {
        PATH: process.env.PATH,
        ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
        HOME: dir,
        PORT: '0',
        DATABASE_URL: `file:${path.join(dir, 'prime.db')}`,
        LOOKOUT_DRAIN_SECONDS: '0',
        [WRITE_CODE_CACHE]: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const running = child;
    const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      running.stdout!.on('data', (chunk) => {
        out += chunk;
        const found = /GraphiQL: (\S+)\)/.exec(out);
        if (found) resolve(found[1]!);
      });
      void exited.then((code) => reject(new Error(`The priming run of ${start} exited with ${code}: ${out}`)));
    });
    for (const operationName of ['Prime', 'Feed']) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: PRIMING, operationName }) });
      const answer = (await res.json()) as { errors?: unknown };
      if (!res.ok || answer.errors) throw new Error(`The priming run's ${operationName} failed: ${JSON.stringify(answer)}`);
    }
    running.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`The priming run of ${start} exited with ${code}.`);
  } finally {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundleServer('api/main.ts', 'dist/server.mjs');
  await primeCodeCache('dist/server.mjs');
}
