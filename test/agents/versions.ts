// The agent versions the suite runs, pinned: raise one with \`npm run agents:drift\`'s evidence.
/** The versions the suite pins; LOOKOUT_CLAUDE_CODE_VERSION / LOOKOUT_CODEX_VERSION run it against others (npm run agents:drift). */
export const PINNED = { 'claude-code': '2.1.332', codex: '0.171.0' } as const;
export type AgentName = keyof typeof PINNED;

const PACKAGES: Record<AgentName, string> = { 'claude-code': '@anthropic-ai/claude-code', codex: '@openai/codex' };
const OVERRIDES: Record<AgentName, string | undefined> = { 'claude-code': process.env.LOOKOUT_CLAUDE_CODE_VERSION, codex: process.env.LOOKOUT_CODEX_VERSION };

export const versionOf = (agent: AgentName) => OVERRIDES[agent] || PINNED[agent];
export const packageOf = (agent: AgentName) => PACKAGES[agent];

/** Where the suite keeps each agent's CLI (installed by \`test/agents/install.ts\`, not a dependency of Lookout). */
export const AGENTS_DIR = new URL('../../node_modules/.cache/lookout-agents/', import.meta.url).pathname;

export const agentDir = (agent: AgentName, version = versionOf(agent)) => `${AGENTS_DIR}${agent}-${version}`;
export const agentBinary = (agent: AgentName, version = versionOf(agent)) => `${agentDir(agent, version)}/node_modules/.bin/${agent === 'codex' ? 'codex' : 'claude'}`;
