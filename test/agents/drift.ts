// `npm run agents:drift`: runs the agent suite against the newest published Claude Code and Codex
// beside the pinned ones and prints each scenario's outcome on both, so a pin is raised with
// evidence (or a change in an agent's hooks is found before users find it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentName, packageOf, PINNED } from './versions.ts';

const agents = Object.keys(PINNED) as AgentName[];
const newest = Object.fromEntries(agents.map((agent) => [agent, execFileSync('npm', ['view', packageOf(agent), 'version'], { encoding: 'utf8' }).trim()])) as Record<AgentName, string>;
const runs = { pinned: PINNED, newest };
const outcomes = new Map<string, Partial<Record<keyof typeof runs, string>>>();
for (const [run, versions] of Object.entries(runs) as [keyof typeof runs, Record<AgentName, string>][]) {
  const env = { ...process.env, LOOKOUT_CLAUDE_CODE_VERSION: versions['claude-code'], LOOKOUT_CODEX_VERSION: versions.codex };
  execFileSync('npx', ['tsx', 'test/agents/install.ts'], { env, stdio: 'inherit' });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'lookout-drift-')), 'report.json');
  // The same network namespace as npm run test:agents.
  spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec npx vitest run --project agents --reporter=json --outputFile=${file}`], { env, stdio: 'inherit' });
  const report = JSON.parse(readFileSync(file, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
  for (const test of report.testResults.flatMap((result) => result.assertionResults)) {
    const row = outcomes.get(test.fullName) ?? {};
    row[run] = test.status === 'passed' ? 'passed' : `${test.status}: ${test.failureMessages[0]?.split('\n')[0] ?? ''}`;
    outcomes.set(test.fullName, row);
  }
}
for (const agent of agents) console.log(`${packageOf(agent)}: pinned ${PINNED[agent]}, newest ${newest[agent]}`);
for (const [name, row] of outcomes) {
  console.log(`${row.pinned === row.newest ? 'same   ' : 'CHANGED'}  ${name}\n         pinned: ${row.pinned}\n         newest: ${row.newest}`);
}
