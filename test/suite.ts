// `npm test` after the build: the type checks run beside vitest's projects (which wait on
// processes, browsers and databases more than they compute), then the real agents' suite, alone (each
// scenario runs a whole Claude Code: beside the rest, the machine's two cores made page tests time
// out). vitest's and the agents' output is shown as it comes; the type checks' when they end. Fails
// when any of them fails.
import { spawn } from 'node:child_process';

interface Run {
  name: string;
  command: string;
  live?: boolean;
}

const BESIDE: Run[] = [
  { name: 'vitest', command: 'vitest run --project api --project api-postgresql --project client', live: true },
  { name: 'types', command: 'tsc -p . && tsc -p client' },
];
const AFTER: Run = { name: 'agents', command: 'npm run --silent test:agents', live: true };

function run({ name, command, live }: Run): Promise<{ name: string; code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'], env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' } });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), output }));
  });
}

const started = Date.now();
const results = await Promise.all(
  BESIDE.map(async (spec) => {
    const result = await run(spec);
    if (!spec.live) process.stdout.write(`\n── ${spec.name} (${spec.command}): ${result.code === 0 ? 'passed' : `failed, exit ${result.code}`}\n${result.output}`);
    return result;
  }),
);
results.push(await run(AFTER));
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
console.log(`\n${failed.length ? `Failed: ${failed.join(', ')}` : 'All passed'} in ${Math.round((Date.now() - started) / 1000)} s.`);
process.exit(failed.length ? 1 : 0);
