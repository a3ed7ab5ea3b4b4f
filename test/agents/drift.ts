// `npm run agents:drift`: runs the agent suite against the newest published Claude Code beside the
// pinned one and prints each scenario's outcome on both, so the pin is raised with evidence (or a
// change in the agent's hooks is found before users find it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PINNED_CLAUDE_CODE_VERSION } from './versions.ts';

const newest = execFileSync('npm', ['view', '@anthropic-ai/claude-code', 'version'], { encoding: 'utf8' }).trim();
const outcomes = new Map<string, Record<string, string>>();
for (const version of [...new Set([PINNED_CLAUDE_CODE_VERSION, newest])]) {
  const env = { ...process.env, LOOKOUT_CLAUDE_CODE_VERSION: version };
  execFileSync('npx', ['tsx', 'test/agents/install.ts'], { env, stdio: 'inherit' });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'lookout-drift-')), 'report.json');
  // The same network namespace as npm run test:agents.
  spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec npx vitest run --project agents --reporter=json --outputFile=${file}`], { env, stdio: 'inherit' });
  const report = JSON.parse(readFileSync(file, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
  for (const test of report.testResults.flatMap((file) => file.assertionResults)) {
    const row = outcomes.get(test.fullName) ?? {};
    row[version] = test.status === 'passed' ? 'passed' : `${test.status}: ${test.failureMessages[0]?.split('\n')[0] ?? ''}`;
    outcomes.set(test.fullName, row);
  }
}
console.log(`Claude Code: pinned ${PINNED_CLAUDE_CODE_VERSION}, newest ${newest}`);
for (const [name, row] of outcomes) {
  const changed = row[PINNED_CLAUDE_CODE_VERSION] !== row[newest];
  console.log(`${changed ? 'CHANGED' : 'same   '}  ${name}\n         ${PINNED_CLAUDE_CODE_VERSION}: ${row[PINNED_CLAUDE_CODE_VERSION]}\n         ${newest}: ${row[newest]}`);
}
