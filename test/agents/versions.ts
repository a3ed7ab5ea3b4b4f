// The agent versions the suite runs, pinned: raise one with `npm run agents:drift`'s evidence.
/** The version the suite pins; LOOKOUT_CLAUDE_CODE_VERSION runs it against another (npm run agents:drift). */
export const PINNED_CLAUDE_CODE_VERSION = '2.1.332';
export const CLAUDE_CODE_VERSION = process.env.LOOKOUT_CLAUDE_CODE_VERSION || PINNED_CLAUDE_CODE_VERSION;

/** Where the suite keeps each agent's CLI (installed by `test/agents/install.ts`, not a dependency of Lookout). */
export const AGENTS_DIR = new URL('../../node_modules/.cache/lookout-agents/', import.meta.url).pathname;

export const claudeCodeDir = (version = CLAUDE_CODE_VERSION) => `${AGENTS_DIR}claude-code-${version}`;
export const claudeCodeBinary = (version = CLAUDE_CODE_VERSION) => `${claudeCodeDir(version)}/node_modules/.bin/claude`;
