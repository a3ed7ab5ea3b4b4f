// The server's start (`api/boot.ts`) runs its bundle from the V8 code cache its build made, and
// never from one made for other bytes or refused by V8: built here from a small entry, run as node
// runs `dist/server.mjs`.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleServer } from '../api/bundle.ts';
import { WRITE_CODE_CACHE } from '../api/code-cache.ts';

/** An entry that uses what the bundle rewrites: import.meta.url, and import() of an external module. */
const entry = (word: string) => `import path from 'node:path';
import { fileURLToPath } from 'node:url';
const said = async () => \`\${path.basename(fileURLToPath(import.meta.url))} \${(await import('node:os')).EOL.length} ${word}\`;
said().then((text) => console.log(text));
`;

async function built(word: string): Promise<{ dir: string; start: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-code-cache-'));
  await writeFile(path.join(dir, 'entry.ts'), entry(word));
  const start = path.join(dir, 'start.mjs');
  await bundleServer(path.join(dir, 'entry.ts'), start);
  return { dir, start };
}

function run(start: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [start], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the start from a code cache', () => {
  it('writes the cache when the build asks, and the next start runs from it, saying nothing', async () => {
    const { start } = await built('alpha');
    const cache = path.join(path.dirname(start), 'start.cjs.cache');
    await expect(stat(cache)).rejects.toThrow();
    expect(await run(start, { [WRITE_CODE_CACHE]: '1' })).toEqual({ code: 0, stdout: 'start.cjs 1 alpha\n', stderr: '' });
    expect((await stat(cache)).size).toBeGreaterThan(32);
    expect(await run(start)).toEqual({ code: 0, stdout: 'start.cjs 1 alpha\n', stderr: '' });
  });

  it('starts without a cache V8 refuses, and says so', async () => {
    const { start } = await built('alpha');
    const cache = path.join(path.dirname(start), 'start.cjs.cache');
    await run(start, { [WRITE_CODE_CACHE]: '1' });
    const bytes = await readFile(cache);
    // The digest of the bundle stays right; V8's own header (its magic number, version) does not.
    bytes.fill(0, 32, 48);
    await writeFile(cache, bytes);
    const { code, stdout, stderr } = await run(start);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'start.cjs 1 alpha\n' });
    expect(stderr).toMatch(/start\.cjs\.cache does not fit this node .* starting without it/);
  });

  it('starts without a cache it cannot read, and says so', async () => {
    const { start } = await built('alpha');
    // A folder where the cache would be: reading it fails (EISDIR), as an unreadable file would.
    await mkdir(path.join(path.dirname(start), 'start.cjs.cache'));
    const { code, stdout, stderr } = await run(start);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'start.cjs 1 alpha\n' });
    expect(stderr).toMatch(/start\.cjs\.cache could not be read .*: starting without it/);
  });

  it('never runs a cache made for another build, even one of the same length', async () => {
    const old = await built('alpha');
    await run(old.start, { [WRITE_CODE_CACHE]: '1' });
    const cache = await readFile(path.join(old.dir, 'start.cjs.cache'));
    const rebuilt = await built('omega');
    expect((await readFile(path.join(rebuilt.dir, 'start.cjs'))).length).toBe((await readFile(path.join(old.dir, 'start.cjs'))).length);
    await writeFile(path.join(rebuilt.dir, 'start.cjs.cache'), cache);
    const { code, stdout, stderr } = await run(rebuilt.start);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'start.cjs 1 omega\n' });
    expect(stderr).toMatch(/start\.cjs\.cache was made for another build of start\.cjs: starting without it/);
  });

  it('refuses to build a bundle with a character outside ASCII, which the start would misread', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-code-cache-'));
    await writeFile(path.join(dir, 'entry.ts'), `console.log(/⟨x⟩/.test(process.argv[2] ?? ''));\n`);
    await expect(bundleServer(path.join(dir, 'entry.ts'), path.join(dir, 'start.mjs'))).rejects.toThrow(/outside ASCII/);
  });
});
