// What the server can see of an agent that runs on its own machine (the default: loopback). For an
// http hook, which cannot measure git, it measures the work tree itself after answering. While a
// same-host session works or waits, it checks the agent's process and watches its transcript: a
// prompt answered "no" or interrupted with Esc fires no hook, but Claude Code writes it there.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Session } from '../generated/prisma/client.ts';
import type { AttentionService, ReportStep } from '../attention/service.ts';
import { gitState } from '../git.ts';
import type { ClaudeCodeHook } from './claude-code.ts';
import { NEEDS_REPOSITORY, NEEDS_STATUS } from './claude-code-events.ts';

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
  private measuring: Promise<void> = Promise.resolve();
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

  /**
   * After a same-host http hook was answered: the git state the CLI hook would have measured.
   * Measurements of one session run in order, so the newest hook's is reported last.
   */
  measureWorktree(hook: ClaudeCodeHook, at: Date): void {
    const event = hook.hook_event_name;
    if (hook.agent_id || hook.lookout?.uncommittedFiles !== undefined || !NEEDS_REPOSITORY.has(event)) return;
    if (!hook.cwd || !path.isAbsolute(hook.cwd)) return;
    const cwd = hook.cwd;
    const measured = this.measuring
      .then(() => this.reportWorktree(hook.session_id, cwd, NEEDS_STATUS.has(event), at))
      .catch((error: Error) => console.error(`Measuring the work tree of session ${hook.session_id} failed:`, error.message));
    this.measuring = measured;
  }

  /** Settles once every measurement asked for so far is reported. */
  measured(): Promise<void> {
    return this.measuring;
  }

  private async reportWorktree(sessionId: string, cwd: string, withStatus: boolean, at: Date): Promise<void> {
    const git = await gitState(cwd, withStatus);
    const steps: ReportStep[] = [{ kind: 'register', details: { project: git.project, branch: git.branch } }];
    if (withStatus) steps.push({ kind: 'worktree', worktree: { uncommittedFiles: git.uncommittedFiles, branch: git.branch } });
    await this.attention.report({ sessionId, at }, steps);
  }

  private async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
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
    // Only a regular file: a FIFO or a device named as a transcript would block or never end.
    const size = await stat(session.transcriptPath).then((s) => (s.isFile() ? s.size : null), () => null);
    if (size === null || size === this.transcriptSizes.get(session.id)) return;
    this.transcriptSizes.set(session.id, size);
    const end = transcriptEnd(await readTail(session.transcriptPath, size));
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
