// The attention service: stores each reported change with its event-log entry, keeps the feed in
// memory, applies time-driven changes on one timer, and streams every attention change live, with
// replay from the log for subscribers that reconnect.
import { Repeater } from 'graphql-yoga';
import type { Db } from '../db/database.ts';
import type { ClosedBy, Prisma, Session, SessionEventKind, Speaker } from '../generated/prisma/client.ts';
import {
  type ActivityChange,
  applyActivity,
  applyClose,
  applyRegistration,
  applySpeaker,
  applyWorktree,
  eventTime,
  type SessionDetails,
  type SessionFields,
  type WorktreeChange,
} from './changes.ts';
import { NotInFeedError, SessionNotFoundError } from './errors.ts';
import { RESYNC, ResyncQueue } from './resync-queue.ts';
import {
  type Attention,
  type AttentionTier,
  type AttentionTimings,
  compareAttention,
  deriveAttention,
  isTracked,
  meetsTier,
  nextAttentionChangeAt,
  rawAttention,
  sameAttention,
} from './rules.ts';

export interface AttentionChange {
  kind: 'change';
  seq: number;
  /** The session as it is now (for a replayed change, possibly newer than the change). */
  session: Session;
  /** The attention after this change; null when the session left the feed. */
  attention: Attention | null;
  previous: Attention | null;
}

/** Sent instead of changes that cannot be delivered (pruned from the log, or dropped for a slow reader). */
export interface FeedResync {
  kind: 'resync';
  latestSeq: number;
  reason: string;
}

export type FeedEvent = AttentionChange | FeedResync;

export interface FeedFilter {
  project?: string | null;
  tier?: AttentionTier | null;
}

export interface FeedItem {
  session: Session;
  attention: Attention;
}

export interface ReportedEvent {
  sessionId: string;
  /** When it happened; later than now counts as now. */
  at?: Date | null;
  /** The reporter's id for the event: a repeat changes nothing. */
  eventId?: string | null;
}

export interface AttentionServiceOptions extends AttentionTimings {
  retentionMs: number;
  /** Live events a subscriber may fall behind before it is told to resync. */
  subscriberBuffer?: number;
}

/** What an agent can report about a session; `report` records several at once. */
export type ReportStep = { eventId?: string | null } & (
  | { kind: 'register'; details: SessionDetails; titleIfNone?: string }
  | { kind: 'speaker'; speaker: Speaker; details?: SessionDetails }
  | { kind: 'activity'; activity: ActivityChange }
  | { kind: 'worktree'; worktree: WorktreeChange }
  | { kind: 'close'; closedBy: ClosedBy }
);

/** One change to a session and its log entry; `apply` returns null when there is nothing to record. */
interface Step {
  kind: SessionEventKind;
  eventId?: string | null;
  input: Record<string, unknown>;
  apply: (current: SessionFields | null, at: Date, now: Date) => SessionFields | null;
}

interface TrackedSession {
  session: Session;
  /** The attention last written to the log: what subscribers have seen. */
  attention: Attention | null;
}

const REPLAY_PAGE = 500;
const PRUNE_EVERY_MS = 60 * 60_000;
// setTimeout cannot wait longer than about 24.8 days.
const MAX_TIMER_MS = 2 ** 31 - 1;
const PRUNED_THROUGH_KEY = 'prunedThroughSeq';
// Each session's newest log entry is never pruned: it holds the attention subscribers last saw.
const NEWEST_EVENT_PER_SESSION = 'SELECT MAX(seq) FROM SessionEvent GROUP BY sessionId';

function toJson(attention: Attention | null): string | null {
  return attention && JSON.stringify({ ...attention, since: attention.since.toISOString() });
}

export function parseAttention(json: string | null): Attention | null {
  if (!json) return null;
  const parsed = JSON.parse(json) as Attention & { since: string };
  return { ...parsed, since: new Date(parsed.since) };
}

/** The columns a change writes: the store keeps id, creation and update times itself. */
function changedColumns(session: SessionFields): Omit<SessionFields, 'id'> {
  const { id: _id, createdAt: _c, updatedAt: _u, tracked: _t, ...columns } = session as Session;
  return columns;
}

export class AttentionService {
  private readonly tracked = new Map<string, TrackedSession>();
  private readonly subscribers = new Set<(event: AttentionChange) => void>();
  private writes: Promise<unknown> = Promise.resolve();
  private sortedFeed: FeedItem[] | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private pruneTimer: NodeJS.Timeout | undefined;
  private logEnd = 0;
  private prunedThroughSeq = 0;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly options: AttentionServiceOptions,
  ) {}

  async start(): Promise<void> {
    const [latest, pruned] = await Promise.all([
      this.db.sessionEvent.aggregate({ _max: { seq: true } }),
      this.db.storeMeta.findUnique({ where: { key: PRUNED_THROUGH_KEY } }),
    ]);
    this.logEnd = latest._max.seq ?? 0;
    this.prunedThroughSeq = Number(pruned?.value ?? 0);

    const sessions = await this.db.session.findMany({ where: { tracked: true } });
    const lastSeen = await this.db.$queryRaw<{ id: string; attention: string | null }[]>`
      SELECT s.id, (SELECT e.attention FROM SessionEvent e WHERE e.sessionId = s.id ORDER BY e.seq DESC LIMIT 1) AS attention
      FROM Session s WHERE s.tracked = 1`;
    const attentionById = new Map(lastSeen.map((row) => [row.id, parseAttention(row.attention)]));
    for (const session of sessions) {
      this.tracked.set(session.id, { session, attention: attentionById.get(session.id) ?? null });
    }
    // Changes that fell due while Lookout was down are applied (and logged) now.
    await this.serially(() => this.applyTimeDrivenChanges());
    await this.serially(() => this.pruneHistory());
    this.pruneTimer = setInterval(() => void this.serially(() => this.pruneHistory()), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Stops the timers and waits for accepted writes to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pruneTimer);
    await this.writes.catch(() => undefined);
  }

  // ---- Reported changes -------------------------------------------------------------------

  /** Several reports about one session, as one write: a hook's steps share one transaction. */
  report(event: { sessionId: string; at?: Date | null }, steps: ReportStep[]): Promise<Session> {
    return this.change(event.sessionId, event.at, steps.map((step) => this.toStep(event.sessionId, step)));
  }

  /** Registers the session, or updates its details; writes nothing when they are already so. */
  registerSession({ sessionId, at, eventId, titleIfNone, ...details }: ReportedEvent & SessionDetails & { titleIfNone?: string }) {
    return this.report({ sessionId, at }, [{ kind: 'register', details, titleIfNone, eventId }]);
  }

  recordSpeaker({ sessionId, at, eventId, speaker, ...details }: ReportedEvent & SessionDetails & { speaker: Speaker }) {
    return this.report({ sessionId, at }, [{ kind: 'speaker', speaker, details, eventId }]);
  }

  recordActivity({ sessionId, at, eventId, ...activity }: ReportedEvent & ActivityChange) {
    return this.report({ sessionId, at }, [{ kind: 'activity', activity, eventId }]);
  }

  reportWorktree({ sessionId, at, eventId, ...worktree }: ReportedEvent & WorktreeChange) {
    return this.report({ sessionId, at }, [{ kind: 'worktree', worktree, eventId }]);
  }

  closeSession({ sessionId, at, eventId, closedBy }: ReportedEvent & { closedBy: ClosedBy }) {
    return this.report({ sessionId, at }, [{ kind: 'close', closedBy, eventId }]);
  }

  private toStep(sessionId: string, step: ReportStep): Step {
    const eventId = step.eventId ?? null;
    switch (step.kind) {
      case 'register':
        return {
          kind: 'REGISTER',
          eventId,
          input: { ...step.details, titleIfNone: step.titleIfNone },
          apply: (current, at) => applyRegistration(current, sessionId, step.details, step.titleIfNone, at),
        };
      case 'speaker':
        return {
          kind: 'SPEAKER',
          eventId,
          input: { speaker: step.speaker, ...step.details },
          apply: (current, at) => applySpeaker(current, sessionId, step.speaker, step.details ?? {}, at),
        };
      case 'activity':
        return { kind: 'ACTIVITY', eventId, input: { ...step.activity }, apply: (current, at) => applyActivity(this.existing(sessionId, current), step.activity, at) };
      case 'worktree':
        return { kind: 'WORKTREE', eventId, input: { ...step.worktree }, apply: (current, at) => applyWorktree(this.existing(sessionId, current), step.worktree, at) };
      case 'close':
        return { kind: 'CLOSE', eventId, input: { closedBy: step.closedBy }, apply: (current, at) => applyClose(this.existing(sessionId, current), step.closedBy, at) };
    }
  }

  // ---- The user's own actions -------------------------------------------------------------

  markSeen(sessionId: string): Promise<Session> {
    return this.change(sessionId, null, [
      { kind: 'SEEN', input: {}, apply: (current, now) => ({ ...this.existing(sessionId, current), seenAt: now }) },
    ]);
  }

  snooze(sessionId: string, until: Date): Promise<Session> {
    const apply = (current: SessionFields | null, now: Date) => {
      const session = this.existing(sessionId, current);
      const reason = rawAttention(session, now, this.options)?.reason;
      if (!reason) throw new NotInFeedError(sessionId);
      return { ...session, snoozedUntil: until, snoozedReason: reason };
    };
    return this.change(sessionId, null, [{ kind: 'SNOOZE', input: { until: until.toISOString() }, apply }]);
  }

  setHidden(sessionId: string, hidden: boolean): Promise<Session> {
    return this.change(sessionId, null, [
      { kind: hidden ? 'HIDE' : 'UNHIDE', input: {}, apply: (current) => ({ ...this.existing(sessionId, current), hidden }) },
    ]);
  }

  // ---- Reading ----------------------------------------------------------------------------

  /** The seq of the newest log entry: the feed in memory reflects every change up to it. */
  get latestSeq(): number {
    return this.logEnd;
  }

  attentionOf(session: Session): Attention | null {
    return deriveAttention(session, new Date(), this.options);
  }

  /** The feed in order; kept sorted in memory until the next change. */
  feed(filter: FeedFilter = {}): FeedItem[] {
    this.sortedFeed ??= [...this.tracked.values()]
      .flatMap(({ session, attention }) => (attention ? [{ session, attention }] : []))
      .sort((a, b) => compareAttention(a.attention, b.attention) || a.session.id.localeCompare(b.session.id));
    const { project, tier } = filter;
    if (!project && !tier) return this.sortedFeed;
    return this.sortedFeed.filter(
      (item) => (!project || item.session.project === project) && (!tier || item.attention.tier === tier),
    );
  }

  /**
   * Every attention change matching the filter: first those after `after` from the log, then live,
   * with no gap and no duplicate. Ending the stream (the client unsubscribes) stops it at once.
   */
  changes(filter: FeedFilter & { minTier?: AttentionTier | null }, after?: number | null): AsyncIterable<FeedEvent> {
    const matches = (change: AttentionChange) =>
      (!filter.project || change.session.project === filter.project) &&
      (!filter.minTier || [change.attention, change.previous].some((a) => a && meetsTier(a.tier, filter.minTier!)));
    const resync = (reason: string): FeedResync => ({ kind: 'resync', latestSeq: this.logEnd, reason });

    // Each push waits until the subscriber took the previous event; live events meanwhile wait in
    // a bounded queue, so a subscriber that stops reading costs a fixed amount of memory.
    return new Repeater<FeedEvent>(async (push, stop) => {
      let stopped = false;
      let wake = () => {};
      void stop.then(() => {
        stopped = true;
        wake();
      });
      const pending = new ResyncQueue<AttentionChange>(this.options.subscriberBuffer ?? 256);
      const listener = (change: AttentionChange) => {
        pending.add(change);
        wake();
      };
      // Listen before reading the log: a change committed meanwhile is in one or both, never neither.
      this.subscribers.add(listener);
      try {
        let deliveredSeq = 0;
        if (after !== null && after !== undefined) {
          if (after > this.logEnd) {
            deliveredSeq = this.logEnd;
            await push(resync(`The log ends at seq ${this.logEnd}, before ${after}: refetch the feed.`));
          } else if (after < this.prunedThroughSeq) {
            deliveredSeq = this.logEnd;
            await push(resync(`Changes after seq ${after} are no longer kept: refetch the feed.`));
          } else {
            deliveredSeq = after;
            for await (const change of this.replay(after)) {
              if (stopped) return;
              deliveredSeq = change.seq;
              if (matches(change)) await push(change);
            }
          }
        }
        while (!stopped) {
          const event = pending.remove();
          if (event === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
          } else if (event === RESYNC) {
            deliveredSeq = this.logEnd;
            await push(resync('Too many changes arrived before they could be sent: refetch the feed.'));
          } else if (event.seq > deliveredSeq) {
            deliveredSeq = event.seq;
            if (matches(event)) await push(event);
          }
        }
      } finally {
        this.subscribers.delete(listener);
      }
    });
  }

  private async *replay(after: number): AsyncGenerator<AttentionChange> {
    let cursor = after;
    for (;;) {
      const rows = await this.db.sessionEvent.findMany({
        where: { seq: { gt: cursor }, OR: [{ attention: { not: null } }, { previousAttention: { not: null } }] },
        include: { session: true },
        orderBy: { seq: 'asc' },
        take: REPLAY_PAGE,
      });
      for (const row of rows) {
        yield { kind: 'change', seq: row.seq, session: row.session, attention: parseAttention(row.attention), previous: parseAttention(row.previousAttention) };
      }
      if (rows.length < REPLAY_PAGE) return;
      cursor = rows[rows.length - 1]!.seq;
    }
  }

  // ---- Writing ----------------------------------------------------------------------------

  /** One write at a time: the log's seq order is the order subscribers see. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.writes.then(task);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private existing(sessionId: string, current: SessionFields | null): SessionFields {
    if (!current) throw new SessionNotFoundError(sessionId);
    return current;
  }

  /**
   * Applies the steps in order and stores the result with one log entry per step, in one
   * transaction. A step whose event id was seen before is skipped; one that changes nothing is not
   * logged.
   */
  private change(sessionId: string, reportedAt: Date | null | undefined, steps: Step[]): Promise<Session> {
    return this.serially(async () => {
      const eventIds = steps.flatMap((step) => (step.eventId ? [step.eventId] : []));
      const repeated = new Set(
        eventIds.length
          ? (await this.db.sessionEvent.findMany({ where: { sessionId, eventId: { in: eventIds } }, select: { eventId: true } })).map((e) => e.eventId)
          : [],
      );
      const now = new Date();
      const at = eventTime(reportedAt, now);
      const stored = this.tracked.get(sessionId)?.session ?? (await this.db.session.findUnique({ where: { id: sessionId } }));
      let current: SessionFields | null = stored;
      let previous = this.tracked.get(sessionId)?.attention ?? null;
      const entries: { data: Prisma.SessionEventUncheckedCreateInput; attention: Attention | null; previous: Attention | null }[] = [];
      for (const step of steps) {
        if (step.eventId && repeated.has(step.eventId)) continue;
        const next = step.apply(current, at, now);
        if (next === null) continue;
        const attention = deriveAttention(next, now, this.options);
        entries.push({
          data: {
            sessionId,
            kind: step.kind,
            eventId: step.eventId ?? null,
            at,
            input: JSON.stringify(step.input),
            attention: toJson(attention),
            previousAttention: toJson(previous),
          },
          attention,
          previous,
        });
        [current, previous] = [next, attention];
      }
      if (!current) throw new SessionNotFoundError(sessionId);
      if (!entries.length && stored) return stored;
      const tracked = isTracked(current, now, this.options);
      const [session, ...logged] = await this.db.$transaction([
        this.db.session.upsert({
          where: { id: sessionId },
          create: { id: sessionId, ...changedColumns(current), tracked },
          update: { ...changedColumns(current), tracked },
        }),
        ...entries.map((entry) => this.db.sessionEvent.create({ data: entry.data })),
      ]);
      logged.forEach((row, i) => this.commit(session, row.seq, entries[i]!.attention, entries[i]!.previous, tracked));
      return session;
    });
  }

  /** After a write is durable: update the in-memory feed, reschedule, and tell subscribers. */
  private commit(session: Session, seq: number, attention: Attention | null, previous: Attention | null, tracked: boolean) {
    this.logEnd = seq;
    if (tracked) this.tracked.set(session.id, { session, attention });
    else this.tracked.delete(session.id);
    this.sortedFeed = null;
    // A timer that fires early finds nothing due and waits again, so only an earlier moment matters.
    const nextChange = tracked ? (nextAttentionChangeAt(session, new Date(), this.options)?.getTime() ?? Infinity) : Infinity;
    if (nextChange < this.timerAt) this.setTimer(nextChange);
    if (attention || previous) {
      const change: AttentionChange = { kind: 'change', seq, session, attention, previous };
      for (const deliver of this.subscribers) deliver(change);
    }
  }

  /** Logs and publishes every attention that time alone changed, then waits for the next one. */
  private async applyTimeDrivenChanges(): Promise<void> {
    if (this.stopped) return;
    const now = new Date();
    for (const { session, attention: previous } of [...this.tracked.values()]) {
      const attention = deriveAttention(session, now, this.options);
      const tracked = isTracked(session, now, this.options);
      if (sameAttention(attention, previous)) {
        if (!tracked) await this.untrack(session);
        continue;
      }
      const data: Prisma.SessionEventUncheckedCreateInput = {
        sessionId: session.id,
        kind: 'TIMER',
        at: now,
        input: '{}',
        attention: toJson(attention),
        previousAttention: toJson(previous),
      };
      const [updated, logged] = await this.db.$transaction([
        this.db.session.update({ where: { id: session.id }, data: { tracked } }),
        this.db.sessionEvent.create({ data }),
      ]);
      this.commit(updated, logged.seq, attention, previous, tracked);
    }
    this.scheduleNextChange(now);
  }

  /** Nothing can change this session's attention any more without a new event. */
  private async untrack(session: Session): Promise<void> {
    await this.db.session.update({ where: { id: session.id }, data: { tracked: false } });
    this.tracked.delete(session.id);
  }

  private scheduleNextChange(now: Date): void {
    let next = Infinity;
    for (const { session } of this.tracked.values()) {
      next = Math.min(next, nextAttentionChangeAt(session, now, this.options)?.getTime() ?? Infinity);
    }
    this.setTimer(next);
  }

  /** The one timer, for the earliest moment time alone can change someone's attention. */
  private setTimer(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    if (this.stopped || at === Infinity) return;
    const delay = Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.serially(() => this.applyTimeDrivenChanges()), delay);
    this.timer.unref();
  }

  /** Drops log entries older than the retention time, except each session's newest. */
  private async pruneHistory(): Promise<void> {
    const cutoff = new Date(Date.now() - this.options.retentionMs);
    const [row] = await this.db.$queryRawUnsafe<{ maxSeq: bigint | number | null }[]>(
      `SELECT MAX(seq) AS maxSeq FROM SessionEvent WHERE recordedAt < ? AND seq NOT IN (${NEWEST_EVENT_PER_SESSION})`,
      cutoff,
    );
    if (row?.maxSeq === null || row?.maxSeq === undefined) return;
    const prunedThrough = Math.max(this.prunedThroughSeq, Number(row.maxSeq));
    await this.db.$transaction([
      this.db.$executeRawUnsafe(
        `DELETE FROM SessionEvent WHERE seq <= ? AND recordedAt < ? AND seq NOT IN (${NEWEST_EVENT_PER_SESSION})`,
        prunedThrough,
        cutoff,
      ),
      this.db.storeMeta.upsert({
        where: { key: PRUNED_THROUGH_KEY },
        create: { key: PRUNED_THROUGH_KEY, value: String(prunedThrough) },
        update: { value: String(prunedThrough) },
      }),
    ]);
    this.prunedThroughSeq = prunedThrough;
  }
}
