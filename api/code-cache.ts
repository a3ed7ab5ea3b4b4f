// The names the build (`api/bundle.ts`) and the start (`api/boot.ts`) share for the server's V8
// code cache.

/** Set for the build's priming run: the start writes the cache when the process exits. */
export const WRITE_CODE_CACHE = 'LOOKOUT_WRITE_CODE_CACHE';

/** The CommonJS bundle a start (`name.mjs`) runs: beside it, `name.cjs`. */
export const bundleOf = (start: string) => start.replace(/\.mjs$/, '.cjs');

/** Where a bundle's code cache is kept: beside it. */
export const cacheOf = (bundle: string) => `${bundle}.cache`;
