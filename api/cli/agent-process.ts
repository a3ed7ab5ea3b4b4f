// The Claude Code process a hook runs under, as the hook sees it: its process id (so a server on
// the same machine can tell when it is gone) and whether it runs with nobody at a terminal.
// Claude Code runs a command hook through a shell, so the agent is the first ancestor that is not one.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'fish', 'ksh']);
const PS_TIMEOUT_MS = 300;

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

const isShell = (args: string[]) => SHELLS.has(path.basename(args[0] ?? '').replace(/^-/, ''));

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
  let info = await processInfo(pid);
  // At most two shells deep: `sh -c "…"`, or a login shell around it.
  for (let hops = 0; info && isShell(info.args) && hops < 2; hops++) {
    pid = info.ppid;
    info = await processInfo(pid);
  }
  if (!info || pid <= 1) return { headless: runsHeadless([], agent) };
  return { pid, headless: runsHeadless(info.args, agent) };
}
