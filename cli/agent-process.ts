// The agent process a hook runs under, as the hook sees it: its process id (so a server on the same
// machine can tell when it is gone) and whether it runs with nobody at a terminal. The agent runs a
// command hook through a shell, and a person may wrap the hook (`npx lookout hook …`, `timeout 5 …`):
// the agent is the nearest ancestor that is one, known by its program; none found, none is claimed.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const PS_TIMEOUT_MS = 300;
/** How far up the agent may be: its shell, a login shell, and a wrapper or two. */
const MAX_HOPS = 8;

/** Each agent's program, as its command line names it: the native binary, or the script node runs. */
const PROGRAMS: Record<string, RegExp> = {
  'claude-code': /(^|[/\\])claude(\.(exe|js|cjs|mjs))?$|[/\\]@anthropic-ai[/\\]claude-code[/\\]/,
  codex: /(^|[/\\])codex([-.][^/\\]*)?$|[/\\]@openai[/\\]codex[/\\]/,
};

export interface AgentProcess {
  pid?: number;
  headless: boolean;
}

interface ProcessInfo {
  ppid: number;
  /** The command line, one argument per entry (from ps: split on spaces, which is enough here). */
  args: string[];
}

async function processInfo(pid: number): Promise<ProcessInfo | null> {
  try {
    // Linux: /proc. "pid (comm) state ppid ...", where comm may itself hold spaces and parentheses.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    return { ppid, args };
  } catch {
    // Elsewhere (macOS): ps, with a short timeout.
    return new Promise((resolve) =>
      execFile('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { timeout: PS_TIMEOUT_MS }, (error, stdout) => {
        const match = /^\s*(\d+)\s+(.*)$/.exec(stdout.trim());
        resolve(error || !match ? null : { ppid: Number(match[1]), args: match[2]!.split(/\s+/) });
      }),
    );
  }
}

/** Whether a command line runs `agent`: its program, or the script its interpreter runs. */
const runsAgent = (args: string[], agent: string) => args.slice(0, 2).some((arg) => PROGRAMS[agent]?.test(arg) ?? false);

/**
 * Claude Code: `claude -p`/`--print` (and the SDK, which Claude Code marks in CLAUDE_CODE_ENTRYPOINT
 * as sdk-*). Codex: `codex exec`.
 */
function runsHeadless(args: string[], agent: string): boolean {
  if (agent === 'codex') return args.slice(1).includes('exec');
  const entrypoint = process.env.CLAUDE_CODE_ENTRYPOINT;
  if (entrypoint) return entrypoint.startsWith('sdk');
  return args.some((arg) => arg === '-p' || arg === '--print' || /^-[a-zA-Z]*p$/.test(arg));
}

export async function agentProcess(agent: string): Promise<AgentProcess> {
  let pid = process.ppid;
  for (let hops = 0; pid > 1 && hops < MAX_HOPS; hops++) {
    const info = await processInfo(pid);
    if (!info) break;
    if (runsAgent(info.args, agent)) return { pid, headless: runsHeadless(info.args, agent) };
    pid = info.ppid;
  }
  return { headless: runsHeadless([], agent) };
}
