// Runs the built lookout CLI (dist/lookout.mjs, made by `npm run generate`) as the hooks do.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const CLI = new URL('../dist/lookout.mjs', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with `stdin`; `stdinDelayMs` holds the payload back, as a slow hook would. */
export function runCli(args: string[], env: Record<string, string>, stdin = '', stdinDelayMs = 0): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    setTimeout(() => child.stdin.end(stdin), stdinDelayMs);
  });
}

const git = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd });

/** A real git repository with one commit, in a temp folder named `name`. */
export async function makeRepo(name: string): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lookout-repo-')), name);
  await mkdir(dir);
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.email', 'test@example.com');
  await git(dir, 'config', 'user.name', 'Test');
  await writeFile(path.join(dir, 'README.md'), '# test\n');
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-qm', 'start');
  return dir;
}

export async function makeDirty(repo: string, files: number): Promise<void> {
  for (let i = 0; i < files; i++) await writeFile(path.join(repo, `work-${i}.txt`), `change ${i}\n`);
}

export { git };
