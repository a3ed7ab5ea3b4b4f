// 6. From process start to the first successful feed query, as `npm start` runs it: its build,
// dist/server.mjs (made by `npm run generate`), in plain node, against a plain node hello server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { now } from '../children.ts';
import { FEED_BODY, post } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { BENCH_ENV } from '../seed.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the script, reads its URL from stdout and asks until an answer comes back. */
export async function timeToFirstAnswer(script: string, env: Record<string, string>): Promise<number> {
  const started = now();
  const child = spawn(process.execPath, [script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const found = out.match(/(http:\/\/[\w.:[\]]+\/graphql)/);
        if (found) resolve(found[1]!);
      });
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it listened: ${out}`)));
    });
    for (;;) {
      const { status, text } = await post(url, FEED_BODY).catch(() => ({ status: 0, text: '' }));
      if (status === 200 && text.includes('"edges"')) return now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

export async function measureStartup(file: string, sessions: number, settings: Settings): Promise<Row[]> {
  const lookout: number[] = [];
  const plain: number[] = [];
  const env = { ...BENCH_ENV, PORT: '0', DATABASE_URL: `file:${file}` };
  for (let round = 0; round < settings.rounds; round++) {
    lookout.push(await timeToFirstAnswer('dist/server.mjs', env));
    plain.push(await timeToFirstAnswer('bench/startup-baseline.mjs', { PORT: '0' }));
  }
  const label = `${sessions / 1000}k`;
  return [
    row('startup', `Start-up to first feed query, ${label} sessions stored`, 'ms', lookout, {
      baseline: ['node:http hello', plain],
      ratio: ['Lookout ÷ hello', lookout.map((v, i) => v / plain[i]!)],
      // Issue 15: start from a build, at most 3× a hello server.
      target: { op: '<=', value: 3 },
    }),
  ];
}
