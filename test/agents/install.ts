// Installs the pinned agent CLIs (Claude Code, Codex) into the suite's cache folder, once each (it
// needs the npm registry, so it runs before the suite enters its network namespace). Each package
// carries its binary for each platform as an optional dependency: nothing is downloaded at run time.
// usage: tsx test/agents/install.ts (the versions: test/agents/versions.ts, or LOOKOUT_*_VERSION)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { agentBinary, agentDir, type AgentName, packageOf, PINNED, versionOf } from './versions.ts';

for (const agent of Object.keys(PINNED) as AgentName[]) {
  const version = versionOf(agent);
  if (!existsSync(agentBinary(agent))) {
    mkdirSync(agentDir(agent), { recursive: true });
    execFileSync('npm', ['install', '--prefix', agentDir(agent), '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${packageOf(agent)}@${version}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  // Never run here: outside the namespace it could reach the network.
  const installed = JSON.parse(readFileSync(`${agentDir(agent)}/node_modules/${packageOf(agent)}/package.json`, 'utf8')) as { version: string };
  console.log(`${packageOf(agent)} ${installed.version} in ${agentDir(agent)}`);
}
