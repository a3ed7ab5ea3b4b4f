// Runs the built lookout CLI (dist/lookout.mjs, made by `npm run generate`) as the hooks do.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
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
/**
 * A LOOKOUT_HOME of its own (spool, log, remembered server and hook token), for a run that names
 * none: nothing the tests do reaches the real ~/.lookout, nor one test's settings another's.
 */
export const freshHome = () => mkdtempSync(path.join(tmpdir(), 'lookout-home-'));

export function runCli(args: string[], env: Record<string, string>, stdin = '', stdinDelayMs = 0): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOOKOUT_HOME: freshHome(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** `files` changed files (work-0.txt …); `agoMs`: changed that long ago. */
export async function makeDirty(repo: string, files: number, agoMs = 0): Promise<void> {
  const when = new Date(Date.now() - agoMs);
  for (let i = 0; i < files; i++) {
    await writeFile(path.join(repo, `work-${i}.txt`), `change ${i}\n`);
    if (agoMs) await utimes(path.join(repo, `work-${i}.txt`), when, when);
  }
}

export { git };

// A stand-in for the agent: a long-lived process whose program is named as Claude Code's (so the
// hook finds it as its agent), running each hook command through `sh -c`, as Claude Code does.
const STAND_IN = `
import { spawn } from 'node:child_process';
import readline from 'node:readline';
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { command, env, stdin } = JSON.parse(line);
  const hook = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  hook.stdout.on('data', (chunk) => (stdout += chunk));
  hook.stderr.on('data', (chunk) => (stderr += chunk));
  hook.stdin.end(stdin);
  const code = await new Promise((resolve) => hook.on('close', resolve));
  process.stdout.write(JSON.stringify({ code, stdout, stderr }) + '\\n');
}
`;

export interface StandInAgent {
  /** Runs `lookout ARGS` as the agent runs a hook, with `stdin` as its payload. */
  hook(args: string[], env: Record<string, string>, stdin: string): Promise<CliRun>;
  stop(): void;
}

export async function standInAgent(name = 'claude'): Promise<StandInAgent> {
  const script = path.join(await mkdtemp(path.join(tmpdir(), 'lookout-agent-')), `${name}.mjs`);
  await writeFile(script, STAND_IN);
  const agent = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: ((line: string) => void)[] = [];
  let buffered = '';
  agent.stdout!.on('data', (chunk) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      answers.shift()?.(line);
    }
  });
  let queue = Promise.resolve();
  return {
    hook: (args, env, stdin) => {
      const run = queue.then(
        () =>
          new Promise<CliRun>((resolve) => {
            const started = Date.now();
            answers.push((line) => resolve({ ...(JSON.parse(line) as Omit<CliRun, 'ms'>), ms: Date.now() - started }));
            const command = [process.execPath, CLI, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
            agent.stdin!.write(`${JSON.stringify({ command, env, stdin })}\n`);
          }),
      );
      queue = run.then(() => undefined);
      return run;
    },
    stop: () => agent.kill('SIGKILL'),
  };
}
