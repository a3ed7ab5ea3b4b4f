// What the server can see of an agent that runs on its own machine (the default: loopback). While a
// same-host session works or waits, it checks the agent's process and watches its transcript: a
// prompt answered "no" or interrupted with Esc fires no hook, but Claude Code writes it there.
// The server never runs git (a repository's configuration can name programs git runs): the git
// state comes from the command hook, which runs as the agent's user.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import type { Session } from '../generated/prisma/client.ts';
import type { AttentionService } from '../attention/service.ts';

const CHECK_EVERY_MS = 1_000;
/** Enough of a transcript's end to hold its last entries. */
const TAIL_BYTES = 64 * 1024;
const INTERRUPTED = '[Request interrupted by user';
const REJECTED = "The user doesn't want to proceed with this tool use";

/** What the end of a transcript says happened, and when. */
export interface TranscriptEnd {
  kind: 'interrupted' | 'rejected';
  at: Date;
}

function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: { type?: string; text?: unknown; content?: unknown }) =>
    part?.type === 'tool_result' ? textsOf(part.content) : typeof part?.text === 'string' ? [part.text] : [],
  );
}

/**
 * The last conversation entry of a transcript (JSON lines), if it is the user interrupting (Esc,
 * or "no" to a prompt) or a prompt answered "no, and do this instead" (the agent carries on).
 */
export function transcriptEnd(tail: string): TranscriptEnd | null {
  const lines = tail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    let entry: { type?: string; timestamp?: string; message?: { content?: unknown } };
    try {
      entry = JSON.parse(lines[i]!);
    } catch {
      continue; // blank, or cut off where the tail began
    }
    if (entry.type !== 'user' && entry.type !== 'assistant') continue;
    const at = new Date(entry.timestamp ?? '');
    if (entry.type === 'assistant' || Number.isNaN(at.getTime())) return null;
    const texts = textsOf(entry.message?.content);
    if (texts.some((t) => t.startsWith(INTERRUPTED))) return { kind: 'interrupted', at };
    if (texts.some((t) => t.includes(REJECTED))) return { kind: 'rejected', at };
    return null;
  }
  return null;
}

/**
 * Whether a path is where Claude Code keeps transcripts (`<config dir>/projects/<project>/<session>.jsonl`,
 * the config dir `~/.claude` or CLAUDE_CONFIG_DIR), once its links are resolved: a hook naming any
 * other file gets nothing read.
 */
export function isTranscriptPath(real: string, configDir = process.env.CLAUDE_CONFIG_DIR): boolean {
  if (!/\/projects\/[^/]+\/[^/]+\.jsonl$/.test(real)) return false;
  const projects = real.slice(0, real.lastIndexOf('/projects/'));
  return projects.endsWith('/.claude') || (!!configDir && projects === configDir.replace(/\/+$/, ''));
}

/** The end of a regular file; anything else (a FIFO or device swapped in since the stat) reads as nothing. */
async function readTail(file: string, size: number): Promise<string> {
  // Non-blocking: opening a FIFO to read would otherwise wait for a writer, for ever.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return '';
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Whether a process exists: signal 0 checks without sending anything (EPERM: it exists, not ours). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SameHostChecks {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  /** Who waits for the next pass that starts after they asked. */
  private waitingForPass: (() => void)[] = [];
  /** Per session: the transcript size last read, so an unchanged file is not read again. */
  private readonly transcriptSizes = new Map<string, number>();

  constructor(
    private readonly attention: AttentionService,
    private readonly everyMs = CHECK_EVERY_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.checkAll(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Settles once a whole pass over the sessions, begun after this call, is done. */
  passed(): Promise<void> {
    return new Promise((resolve) => this.waitingForPass.push(resolve));
  }

  private async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const waiting = this.waitingForPass.splice(0);
    try {
      const checked = new Set<string>();
      for (const session of this.attention.trackedSessions()) {
        if (session.closedAt) continue;
        checked.add(session.id);
        await this.check(session).catch((error: Error) => console.error(`Checking session ${session.id} on this machine failed:`, error.message));
      }
      for (const id of this.transcriptSizes.keys()) if (!checked.has(id)) this.transcriptSizes.delete(id);
    } finally {
      this.checking = false;
      for (const resolve of waiting) resolve();
    }
  }

  private async check(session: Session): Promise<void> {
    if (session.agentPid !== null && !processExists(session.agentPid)) {
      // The agent is gone: after a turn this is its real end (done, failed, or work left); mid-turn it exited.
      await this.attention.report({ sessionId: session.id }, [{ kind: 'close', closedBy: 'AUTO', detail: 'Agent exited' }]);
      return;
    }
    const busy = session.state === 'WORKING' || session.state === 'WAITING' || session.agentWaits !== null;
    if (!busy || !session.transcriptPath) return;
    // Only a transcript, and only a regular file: a FIFO or a device named as one would block or never end.
    const real = await realpath(session.transcriptPath).catch(() => null);
    if (real === null || !isTranscriptPath(real)) return;
    const size = await stat(real).then((s) => (s.isFile() ? s.size : null), () => null);
    if (size === null || size === this.transcriptSizes.get(session.id)) return;
    this.transcriptSizes.set(session.id, size);
    const end = transcriptEnd(await readTail(real, size));
    if (!end) return;
    // An interruption ends the turn; "no, do this instead" ends the wait and the agent works on.
    // Older than the session's newest activity, it changes nothing; the event id makes it count once.
    await this.attention.report({ sessionId: session.id, at: end.at }, [
      {
        kind: 'activity',
        activity: { state: end.kind === 'interrupted' ? 'IDLE' : 'WORKING', hint: true },
        eventId: `transcript ${end.kind} ${end.at.toISOString()}`,
      },
    ]);
  }
}
