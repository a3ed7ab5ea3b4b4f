// What `node dist/server.mjs` runs first: the server's bundle beside it (`server.cjs`), compiled
// from the V8 code cache the build made for it (`server.cjs.cache`). Compiling the bundle was the
// largest part of every start (`npm run bench`, startup); Node 20 keeps no compile cache for
// modules of its own (`module.enableCompileCache` is Node 22's), so the bundle is a CommonJS script
// run through `vm.Script`, which takes one. The cache holds the bytecode of what a start and a
// first answer ran (the build's priming run, `api/bundle.ts`); V8 checks it against its own
// version and flags and refuses it when they differ, and a cache made for other bytes than the
// bundle's is never used: the bundle then compiles as it would without one.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { bundleOf, cacheOf, WRITE_CODE_CACHE } from './code-cache.ts';

const DIGEST = 'sha256';
const DIGEST_BYTES = 32;

const bundle = bundleOf(fileURLToPath(import.meta.url));
const cacheFile = cacheOf(bundle);
const source = readFileSync(bundle);
const digest = createHash(DIGEST).update(source).digest();

/** The cache's V8 data, when the cache was made for these bytes. */
function cachedData(): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch (error) {
    // A cache only makes the start faster: one that cannot be read never stops it.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') console.warn(`${cacheFile} could not be read (${(error as Error).message}): starting without it.`);
    return undefined;
  }
  if (cache.subarray(0, DIGEST_BYTES).equals(digest)) return cache.subarray(DIGEST_BYTES);
  console.warn(`${cacheFile} was made for another build of ${path.basename(bundle)}: starting without it (npm run build:server makes it again).`);
  return undefined;
}

const data = cachedData();
// Node's own wrapper for a CommonJS module, so that the bundle runs as `require` would run it; the
// bundle is ASCII (the build checks), read as one byte a character.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source.toString('latin1')}\n})`, { filename: bundle, cachedData: data });
if (data && script.cachedDataRejected) {
  console.warn(`${cacheFile} does not fit this node (${process.version}) or its flags: starting without it (npm run build:server makes it again).`);
}
if (process.env[WRITE_CODE_CACHE]) {
  // At exit: by then it holds every function the run compiled, not only the bundle's top level.
  process.once('exit', () => writeFileSync(cacheFile, Buffer.concat([digest, script.createCachedData()])));
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
