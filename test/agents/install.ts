// Installs the pinned Claude Code CLI into the suite's cache folder, once (it needs the npm
// registry, so it runs before the suite enters its network namespace). usage: tsx test/agents/install.ts [VERSION] (default: LOOKOUT_CLAUDE_CODE_VERSION, else the pinned one)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { CLAUDE_CODE_VERSION, claudeCodeBinary, claudeCodeDir } from './versions.ts';

const version = process.argv[2] ?? CLAUDE_CODE_VERSION;
if (!existsSync(claudeCodeBinary(version))) {
  mkdirSync(claudeCodeDir(version), { recursive: true });
  // The package carries its binary for each platform as an optional dependency: nothing is downloaded at run time.
  execFileSync('npm', ['install', '--prefix', claudeCodeDir(version), '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `@anthropic-ai/claude-code@${version}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
// Never run here: outside the namespace it could reach the network.
const installed = JSON.parse(readFileSync(`${claudeCodeDir(version)}/node_modules/@anthropic-ai/claude-code/package.json`, 'utf8')) as { version: string };
console.log(`Claude Code ${installed.version} in ${claudeCodeDir(version)}`);
