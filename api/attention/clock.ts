// The clock: of the processes sharing one log, the one that leads logs what time alone changes
// (a turn done long ago goes quiet, a prompt unanswered escalates) on one timer set for the earliest
// such moment, and prunes the log. The others follow its entries by catching up.
import type { Session } from '../generated/prisma/client.ts';
import { type Attention, type AttentionTimings, deriveAttention, isTracked, nextAttentionChangeAt, sameAttention } from './rules.ts';
import type { AttentionStore, Writes } from './store.ts';
import type { TrackedSessions } from './tracked-sessions.ts';
import type { Writer } from './writer.ts';

const PRUNE_EVERY_MS = 60 * 60_000;
const RETRY_TIMER_MS = 1_000;
// setTimeout cannot wait longer than about 24.8 days.
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ClockOptions {
  retentionMs: number;
  timings(session: Pick<Session, 'owner'>): AttentionTimings;
}

export class Clock {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Whether this process logs time-driven changes and prunes (one of several, or the only one). */
  leads = false;

  constructor(
    private readonly store: AttentionStore,
    private readonly tracked: TrackedSessions,
    private readonly writer: Writer,
    private readonly options: ClockOptions,
  ) {}

  /** This process starts (or stops) logging time-driven changes and pruning. */
  lead(leads: boolean): void {
    if (this.leads === leads || this.stopped) return;
    this.leads = leads;
    clearInterval(this.pruneTimer);
    if (!leads) {
      clearTimeout(this.timer);
      this.timerAt = Infinity;
      return;
    }
    // Changes that fell due while no process led (Lookout was down, the leader died) are logged now.
    void this.reconsider();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pruneTimer);
  }

  /** A session's log entry was committed: the timer is set earlier when its next change is sooner. */
  committed(session: Session, tracked: boolean): void {
    // A timer that fires early finds nothing due and waits again, so only an earlier moment matters.
    if (!tracked || !this.leads) return;
    const next = nextAttentionChangeAt(session, new Date(), this.options.timings(session))?.getTime() ?? Infinity;
    if (next < this.timerAt) this.setTimer(next);
  }

  /** Someone's timings changed (their escalation time): every attention is derived again, now, by the leader. */
  reconsider(): Promise<void> {
    return this.writer.enqueue(() => this.logTimeDrivenChanges());
  }

  /** Logs and commits every attention that time alone changed, then waits for the next one. */
  private async logTimeDrivenChanges(): Promise<void> {
    if (this.stopped || !this.leads) return;
    let written;
    try {
      written = await this.writer.append(() => this.timeDrivenChanges());
    } catch (error) {
      console.error('Applying time-driven attention changes failed; retrying shortly:', error);
      this.setTimer(Date.now() + RETRY_TIMER_MS);
      return;
    }
    const { planned: { now, settled, changes }, seqs } = written;
    for (const session of settled) this.tracked.keep(session, null, false);
    changes.forEach(({ session, attention, previous }, i) =>
      this.writer.commit(session, seqs[i]!, { attention, previous, project: session.project, previousProject: session.project }, session.tracked, true),
    );
    this.scheduleNextChange(now);
  }

  /** What time alone has changed by now, against the log as this process has read it. */
  private timeDrivenChanges() {
    const now = new Date();
    const changes: { session: Session; attention: Attention | null; previous: Attention | null }[] = [];
    const settled: Session[] = [];
    for (const { session, attention: previous } of this.tracked.values()) {
      const timings = this.options.timings(session);
      const attention = deriveAttention(session, now, timings);
      const tracked = isTracked(session, now, timings);
      // Nothing can change this session's attention any more without a new event: let it go.
      if (sameAttention(attention, previous)) {
        if (!tracked) settled.push(session);
      } else {
        changes.push({ session: { ...session, tracked, updatedAt: now }, attention, previous });
      }
    }
    const writes: Writes = {
      sessions: [],
      tracked: [...settled.map((session) => ({ sessionId: session.id, tracked: false, at: now })), ...changes.map(({ session }) => ({ sessionId: session.id, tracked: session.tracked, at: now }))],
      events: changes.map(({ session, attention, previous }) => ({
        sessionId: session.id,
        kind: 'TIMER',
        eventId: null,
        at: now,
        recordedAt: now,
        input: {},
        project: session.project,
        previousProject: session.project,
        attention,
        previousAttention: previous,
      })),
    };
    return { after: this.tracked.logEnd, writes, now, settled, changes };
  }

  private scheduleNextChange(now: Date): void {
    let next = Infinity;
    for (const { session } of this.tracked.values()) {
      next = Math.min(next, nextAttentionChangeAt(session, now, this.options.timings(session))?.getTime() ?? Infinity);
    }
    this.setTimer(next);
  }

  /** The one timer, for the earliest moment time alone can change someone's attention. */
  private setTimer(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    if (this.stopped || at === Infinity) return;
    const delay = Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.reconsider(), delay);
    this.timer.unref();
  }

  /** Drops log entries older than the retention time, except each session's newest. */
  private prune(): void {
    void this.writer.enqueue(async () => {
      if (!this.leads || this.stopped) return;
      try {
        this.tracked.prunedThroughSeq = await this.store.prune(new Date(Date.now() - this.options.retentionMs), this.tracked.prunedThroughSeq);
      } catch (error) {
        console.error('Pruning the event log failed; it is tried again within the hour:', error);
      }
    });
  }
}
