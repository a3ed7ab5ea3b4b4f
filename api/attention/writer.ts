// The write path: steps accepted in one turn of the event loop are planned against the log as this
// process has read it and stored in one transaction (one fsync); once durable, each log entry is
// committed in seq order. Writes, catch-ups with other processes' writes and time-driven passes run
// one at a time on one queue, so the log's order is the order subscribers hear.
import type { Session } from '../generated/prisma/client.ts';
import { NotYoursError, SessionNotFoundError, WriteBusyError, WriteUnknownError } from './errors.ts';
import { type Attention, type AttentionTimings, deriveAttention, isTracked } from './rules.ts';
import { type Append, type Appended, type AttentionStore, CATCH_UP_PAGE, eventKey, type NewEvent, type WriteReads } from './store.ts';
import type { TrackedSessions } from './tracked-sessions.ts';
import { eventTime, type SessionFields } from './transitions.ts';
import type { Actor, AttentionObserver, EntryAttention, Step } from './vocabulary.ts';

/** How long a write is planned again after other processes wrote first, before it is refused. */
const WRITE_RETRIES_FOR_MS = 15_000;

/** The kinds of log entry an agent's report makes; the rest are a person's own actions. */
const REPORTED_KINDS: ReadonlySet<Step['kind']> = new Set(['REGISTER', 'SPEAKER', 'ACTIVITY', 'WORKTREE', 'CLOSE']);

/** Steps accepted for one session, waiting for their batch to be written. */
interface QueuedWrite {
  sessionId: string;
  reportedAt: Date | null | undefined;
  steps: Step[];
  actor: Actor | undefined;
  /** Writes accepted together: one refused, none is stored. */
  unit?: object;
  resolve: (session: Session) => void;
  reject: (error: unknown) => void;
}

/** One session's rows to write, and what to publish once they are stored. */
interface PlannedWrite {
  write: QueuedWrite;
  session: Session;
  tracked: boolean;
  entries: ({ event: NewEvent } & EntryAttention)[];
}

/** A batch planned: what it appends, and what to answer each write once that is stored. */
interface PlannedBatch extends Append {
  events: NewEvent[];
  planned: PlannedWrite[];
  unchanged: { write: QueuedWrite; session: Session }[];
  refused: Map<QueuedWrite, unknown>;
}

export interface WriterOptions {
  observer?: AttentionObserver;
  /** Whether this process prunes the log (it leads); the others read how far it has. */
  leads(): boolean;
  /** The timings a session's attention follows. */
  timings(session: Pick<Session, 'owner'>): AttentionTimings;
  /**
   * A log entry is durable (this process's, `ours`, or another's it caught up with): what is kept in
   * memory is already updated, and everything else that follows the log hears of it here.
   */
  committed(session: Session, seq: number, entry: EntryAttention, tracked: boolean, ours: boolean): void;
}

export class Writer {
  /** Writes accepted since the last batch, written together at the end of this turn of the event loop. */
  private queued: QueuedWrite[] = [];
  /** Batches, catch-ups and time-driven passes, one at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private catchUpQueued = false;
  /** The newest seq other processes are known to have appended up to (Infinity: not known) and this one may not have read. */
  private heardOf = 0;
  private stopped = false;
  /** When this process last read the whole log (at start, or catching up with other processes). */
  caughtUpAt = Date.now();

  constructor(
    private readonly store: AttentionStore,
    private readonly tracked: TrackedSessions,
    private readonly options: WriterOptions,
  ) {}

  /** Runs `job` after every job queued before it. */
  enqueue(job: () => Promise<void>): Promise<void> {
    this.work = this.work.then(job, job);
    return this.work;
  }

  /** Resolves once the writes, catch-ups and time-driven passes queued so far are done. */
  async idle(): Promise<void> {
    for (let work = this.work; ; work = this.work) {
      await work;
      if (work === this.work) return;
    }
  }

  /** Writes what was already accepted; nothing is read from other processes after this. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.enqueue(() => this.writeQueued());
  }

  /**
   * Accepts steps for a session; they are written, with the others that arrive in the same turn of
   * the event loop, in one transaction, and the promise settles once they are durable.
   */
  accept(sessionId: string, reportedAt: Date | null | undefined, steps: Step[], actor?: Actor, unit?: object): Promise<Session> {
    return new Promise((resolve, reject) => {
      this.queued.push({ sessionId, reportedAt, steps, actor, unit, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.enqueue(() => this.writeQueued()));
    });
  }

  /**
   * Stores what `plan` plans, in one durable transaction: when another process wrote first, this one
   * reads what it wrote and plans again (until `deadline`), unless the store could append it all the
   * same (nobody else wrote to its sessions), and then hears what the others wrote first. The seq of
   * each event, in order.
   */
  async append<T extends Append>(plan: () => Promise<T> | T, deadline = Infinity): Promise<{ planned: T; seqs: number[] }> {
    let planned = await plan();
    const { sessions, tracked, events } = planned.writes;
    if (!sessions.length && !tracked.length && !events.length) return { planned, seqs: [] };
    const { seqs, meanwhile } = await this.store.write(planned, async (meanwhile) => {
      this.options.observer?.conflicted();
      if (Date.now() > deadline) throw new WriteBusyError();
      await this.catchUp(meanwhile);
      planned = await plan();
      return planned;
    });
    if (meanwhile) await this.catchUp(meanwhile, seqs[0]);
    return { planned, seqs };
  }

  /**
   * Another process appended to the log (up to `seq`, when known): read what it wrote, once the work
   * queued before is done, unless this process has read that far by then (its own appends are heard
   * too).
   */
  catchUpSoon(seq = Infinity): void {
    if (this.stopped) return;
    this.heardOf = Math.max(this.heardOf, seq);
    if (this.catchUpQueued) return;
    this.catchUpQueued = true;
    void this.enqueue(async () => {
      this.catchUpQueued = false;
      const heardOf = this.heardOf;
      this.heardOf = 0;
      if (heardOf <= this.tracked.logEnd) return;
      try {
        await this.catchUp();
      } catch (error) {
        console.error('Reading the log written by other processes failed; it is read again on the next change:', error);
      }
    });
  }

  /**
   * Commits every log entry after the one this process last read (written by another process): the
   * sessions in memory follow, and subscribers here hear each change in seq order. Notifications are
   * the writing process's, so they are not sent again. What the store read with the log's lock
   * (`meanwhile`) is the first page, when it starts where this process is; entries from `before` on
   * are left (this process's own).
   */
  async catchUp(meanwhile?: Appended, before = Infinity): Promise<void> {
    let read = meanwhile?.after === this.tracked.logEnd ? meanwhile : await this.store.appendedAfter(this.tracked.logEnd);
    for (;;) {
      const entries = read.entries.filter((entry) => entry.seq < before);
      for (const entry of entries) {
        const session = read.sessions.get(entry.sessionId);
        if (!session) {
          this.tracked.logEnd = entry.seq;
          continue;
        }
        const logged = { attention: entry.attention, previous: entry.previousAttention, project: entry.project, previousProject: entry.previousProject };
        this.commit(session, entry.seq, logged, session.tracked, false);
      }
      if (read.entries.length < CATCH_UP_PAGE || entries.length < read.entries.length) break;
      read = await this.store.appendedAfter(this.tracked.logEnd);
    }
    if (!this.options.leads()) this.tracked.prunedThroughSeq = read.prunedThroughSeq;
    this.caughtUpAt = Date.now();
  }

  /** After a write is durable: the sessions in memory, then everything that follows the log. */
  commit(session: Session, seq: number, entry: EntryAttention, tracked: boolean, ours: boolean): void {
    this.tracked.logEnd = seq;
    this.tracked.keep(session, entry.attention, tracked);
    this.options.committed(session, seq, entry, tracked, ours);
  }

  /** Writes every queued write in one transaction (one fsync), then commits them in order. */
  private async writeQueued(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (!batch.length) return;
    let planned: PlannedBatch | undefined;
    let seqs: number[];
    try {
      ({ planned, seqs } = await this.append(async () => (planned = await this.planBatch(batch)), Date.now() + WRITE_RETRIES_FOR_MS));
    } catch (error) {
      if (!planned) {
        for (const write of batch) write.reject(error);
        return;
      }
      // The answer was lost, not necessarily the write: stored, it is answered as stored; not known, it says so.
      const { after, events } = planned;
      const first = error instanceof WriteBusyError || !events.length ? null : await this.storedAt(after, events[0]!);
      if (typeof first !== 'number') {
        const told = first === undefined ? new WriteUnknownError(error) : error;
        console.error('A write failed:', told);
        for (const write of batch) write.reject(told);
        return;
      }
      seqs = events.map((_, i) => first + i);
    }
    if (seqs.length) this.options.observer?.wrote(seqs.length);
    for (const [write, error] of planned.refused) write.reject(error);
    let next = 0;
    for (const { write, session, tracked, entries } of planned.planned) {
      for (const entry of entries) this.commit(session, seqs[next++]!, entry, tracked, true);
      write.resolve(session);
    }
    for (const { write, session } of planned.unchanged) write.resolve(session);
  }

  /**
   * Where a write whose answer was lost was stored (null: not stored; undefined: not known), with
   * what others appended before it heard first.
   */
  private async storedAt(after: number, event: NewEvent): Promise<number | null | undefined> {
    try {
      const first = await this.store.logged(after, event);
      if (first !== null && first > after + 1) await this.catchUp(undefined, first);
      return first;
    } catch {
      return undefined;
    }
  }

  /** Plans a batch against the log as this process has read it: what to write, what changes nothing, what is refused. */
  private async planBatch(batch: QueuedWrite[]): Promise<PlannedBatch> {
    const refused = new Map<QueuedWrite, unknown>();
    for (;;) {
      const live = batch.filter((write) => !refused.has(write));
      const now = new Date();
      const after = this.tracked.logEnd;
      const reads = await this.store.read(
        [...new Set(live.map((write) => write.sessionId))].filter((id) => !this.tracked.has(id)),
        live.flatMap((write) => write.steps.flatMap((step) => (step.eventId ? [{ sessionId: write.sessionId, eventId: step.eventId }] : []))),
      );
      // What the batch's earlier writes made of each session, for the later ones to build on.
      const latest = new Map<string, { session: Session; attention: Attention | null }>();
      const planned: PlannedWrite[] = [];
      const unchanged: { write: QueuedWrite; session: Session }[] = [];
      const failedUnits = new Map<object, unknown>();
      for (const write of live) {
        try {
          const plan = this.plan(write, now, latest, reads);
          if ('entries' in plan) planned.push(plan);
          else unchanged.push({ write, session: plan.session });
        } catch (error) {
          refused.set(write, error);
          if (write.unit && !failedUnits.has(write.unit)) failedUnits.set(write.unit, error);
        }
      }
      // A write refused takes the rest of its unit with it: those are refused too, and the batch planned again without them.
      const rest = live.filter((write) => write.unit && failedUnits.has(write.unit) && !refused.has(write));
      for (const write of rest) refused.set(write, failedUnits.get(write.unit!));
      if (rest.length) continue;
      const events = planned.flatMap(({ entries }) => entries.map((entry) => entry.event));
      return { after, writes: { sessions: planned.map(({ session }) => session), tracked: [], events }, events, planned, unchanged, refused };
    }
  }

  /**
   * Applies a write's steps in order: one log entry per step. A step whose event id was seen
   * before is skipped; one that changes nothing is not logged.
   */
  private plan(
    write: QueuedWrite,
    now: Date,
    latest: Map<string, { session: Session; attention: Attention | null }>,
    reads: WriteReads,
  ): PlannedWrite | { session: Session } {
    const { sessionId, steps } = write;
    const at = eventTime(write.reportedAt, now);
    const known = latest.get(sessionId) ?? this.tracked.get(sessionId);
    const stored = known?.session ?? reads.sessions.get(sessionId) ?? null;
    // A session is its owner's: nobody else reports on it or acts on it, but an admin. To anyone
    // else acting on it, it is not there (no action tells which ids exist); a report on an id that
    // is taken must be refused, and says so.
    const { actor } = write;
    if (stored && actor && !actor.admin && stored.owner !== actor.person) {
      throw steps.every((step) => REPORTED_KINDS.has(step.kind)) ? new NotYoursError(sessionId) : new SessionNotFoundError(sessionId);
    }
    let current: SessionFields | null = stored;
    let previous = known?.attention ?? null;
    const entries: PlannedWrite['entries'] = [];
    const stepEventIds: string[] = [];
    for (const step of steps) {
      const key = step.eventId && eventKey(sessionId, step.eventId);
      // Logged before, or earlier in this batch: a repeat changes nothing.
      if (key && reads.repeats.has(key)) continue;
      let next = step.apply(current, at, now);
      if (next === null) continue;
      // A new session belongs to whoever reported it.
      if (!current && actor) next = { ...next, owner: actor.person };
      const attention = deriveAttention(next, now, this.options.timings(next));
      const projects = { project: next.project, previousProject: current?.project ?? null };
      entries.push({
        event: { sessionId, kind: step.kind, eventId: step.eventId ?? null, at, recordedAt: now, input: step.input, attention, previousAttention: previous, ...projects },
        attention,
        previous,
        ...projects,
      });
      if (key) stepEventIds.push(key);
      [current, previous] = [next, attention];
    }
    if (!current) throw new SessionNotFoundError(sessionId);
    if (!entries.length && stored) return { session: stored };
    const tracked = isTracked(current, now, this.options.timings(current));
    const session: Session = { ...current, tracked, createdAt: stored?.createdAt ?? now, updatedAt: now };
    latest.set(sessionId, { session, attention: previous });
    for (const key of stepEventIds) reads.repeats.add(key);
    return { write, session, tracked, entries };
  }
}
