// The attention service: stores each reported change with its event-log entry, keeps the feed in
// memory, applies time-driven changes on one timer, and streams every attention change live, with
// replay from the log for subscribers that reconnect. Writes, catching up with other processes'
// writes and time-driven changes run one at a time, so the log's seq order is the order
// subscribers see; several processes share one log (api/attention/store.ts, `write`).
import type { ClosedBy, Session, SessionEventKind, Speaker } from '../generated/prisma/client.ts';
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
import { AnswerNotDeliveredError, NotInFeedError, NotYoursError, SessionNotFoundError, WriteBusyError, WriteUnknownError } from './errors.ts';
import type { ElicitationAction, ElicitationValue } from './elicitations.ts';
import {
  type AnswerSource,
  answerElicitation,
  answerPermission,
  answerQuestion,
  deliverAnswer,
  expirePermission,
  type PermissionDecision,
  type PermissionRequest,
  requestOf,
  type QuestionAnswer,
  sessionOfRequest,
} from './permissions.ts';
import { type FeedSource, FeedStream } from './feed-stream.ts';
import { type Append, type AttentionStore, eventKey, type NewEvent, type WriteReads, type Writes } from './store.ts';
import {
  type Attention,
  type AttentionTier,
  type AttentionTimings,
  inFeedOrder,
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
  /** The session's project after and before this change, which a project's subscribers go by. */
  project: string | null;
  previousProject: string | null;
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
  /** Only this person's sessions; absent: everyone's (the team view). */
  owner?: string | null;
}

/** Who reports or acts: a session is theirs to report on and act on, unless they are an admin. */
export interface Actor {
  person: string;
  admin: boolean;
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

/** Hears what the service does, for its metrics. */
export interface AttentionObserver {
  /** This process stored a write of `entries` log entries. */
  wrote(entries: number): void;
  /** A change was handed to `streams` feed streams. */
  delivered(streams: number): void;
  /** A stream began replaying the log. */
  replayed(): void;
  /** A stream was told to refetch. */
  resynced(): void;
  /** A write found that another process had written first: it reads that, and plans again. */
  conflicted(): void;
}

export interface AttentionServiceOptions extends AttentionTimings {
  observer?: AttentionObserver;
  /** A person's own escalation time, when they set one (0: never); else escalateAfterMs. */
  escalateAfterMsOf?: (person: string) => number | null;
  retentionMs: number;
  /** How long a permission prompt's hook waits for an answer from Lookout. */
  decisionWaitMs?: number;
  /** How long an answer waits for its hook to say it received it (default 5 s). */
  deliveryWaitMs?: number;
  /** Live events a subscriber may fall behind before it is told to resync. */
  subscriberBuffer?: number;
}

/** What an agent can report about a session; `report` records several at once. */
export type ReportStep = { eventId?: string | null } & (
  | { kind: 'register'; details: SessionDetails; titleIfNone?: string }
  | { kind: 'speaker'; speaker: Speaker; details?: SessionDetails; message?: string | null }
  | { kind: 'activity'; activity: ActivityChange }
  | { kind: 'worktree'; worktree: WorktreeChange }
  | { kind: 'close'; closedBy: ClosedBy; detail?: string | null }
);

/** How long an answer waits for its hook to say it received it before it is withdrawn. */
const DELIVERY_WAIT_MS = 5_000;

/** How long a write is planned again after other processes wrote first, before it is refused. */
const WRITE_RETRIES_FOR_MS = 15_000;

/** The kinds of log entry an agent's report makes; the rest are a person's own actions. */
const REPORTED_KINDS: ReadonlySet<SessionEventKind> = new Set(['REGISTER', 'SPEAKER', 'ACTIVITY', 'WORKTREE', 'CLOSE']);

/** One change to a session and its log entry; `apply` returns null when there is nothing to record. */
interface Step {
  kind: SessionEventKind;
  eventId?: string | null;
  input: Record<string, unknown>;
  apply: (current: SessionFields | null, at: Date, now: Date) => SessionFields | null;
}

/** A hook waiting for the answer to its permission prompt. */
interface DecisionWaiter {
  requestId: string;
  sessionId: string;
  settle(answered: PermissionRequest | null): void;
}

interface TrackedSession {
  session: Session;
  /** The attention last written to the log: what subscribers have seen. */
  attention: Attention | null;
}

interface PendingChange {
  sessionId: string;
  reportedAt: Date | null | undefined;
  steps: Step[];
  actor: Actor | undefined;
  /** Changes reported together: one refused, none is stored. */
  unit?: object;
  resolve: (session: Session) => void;
  reject: (error: unknown) => void;
}

/** A batch planned: what it appends, and what to answer each change once that is stored. */
interface PlannedBatch extends Append {
  events: NewEvent[];
  planned: PlannedWrite[];
  unchanged: { change: PendingChange; session: Session }[];
  refused: Map<PendingChange, unknown>;
}

/** What one log entry tells subscribers. */
type LoggedAttention = Pick<AttentionChange, 'attention' | 'previous' | 'project' | 'previousProject'>;

/** One session's rows to write, and what to publish once they are stored. */
interface PlannedWrite {
  change: PendingChange;
  session: Session;
  tracked: boolean;
  entries: ({ event: NewEvent } & LoggedAttention)[];
}

const REPLAY_PAGE = 500;
const CATCH_UP_PAGE = 1_000;
/** Behind the log for longer than this (several catch-ups missed), a process is not ready. */
const LAG_TOLERATED_MS = 5_000;
const PRUNE_EVERY_MS = 60 * 60_000;
const RETRY_TIMER_MS = 1_000;
// setTimeout cannot wait longer than about 24.8 days.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AttentionService {
  private readonly tracked = new Map<string, TrackedSession>();
  private readonly subscribers = new Set<(event: AttentionChange) => void>();
  private readonly decisionWaiters = new Set<DecisionWaiter>();
  /** Answers given here, each waiting for its hook to say it received it. */
  private readonly deliveryListeners = new Set<(session: Session) => void>();
  /** The server's own listeners (webhooks): not feed streams, so not counted as subscribers. */
  private readonly changeListeners = new Set<(change: AttentionChange) => void>();
  /** Changes accepted since the last write, written together at the end of this turn of the event loop. */
  private pending: PendingChange[] = [];
  private sortedFeed: FeedItem[] | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private pruneTimer: NodeJS.Timeout | undefined;
  private logEnd = 0;
  private prunedThroughSeq = 0;
  private stopped = false;
  /** Whether this process applies time-driven changes and prunes (one of several, or the only one). */
  private leading = false;
  /** Writes, catch-ups and time-driven passes, one at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private catchUpQueued = false;
  /** When this process last read the whole log (at start, or catching up with other processes). */
  private caughtUpAt = Date.now();
  private stopCoordinating: (() => void) | undefined;
  /** What each subscriber's stream reads. */
  private readonly feedSource: FeedSource = {
    latestSeq: () => this.logEnd,
    prunedThroughSeq: () => this.prunedThroughSeq,
    listen: (listener) => {
      this.subscribers.add(listener);
      return () => this.subscribers.delete(listener);
    },
    replay: (after) => {
      this.options.observer?.replayed();
      return this.replay(after);
    },
    resynced: () => this.options.observer?.resynced(),
    catchUp: () => this.enqueue(() => this.catchUp()),
  };

  constructor(
    private readonly store: AttentionStore,
    private readonly options: AttentionServiceOptions,
  ) {}

  async start(): Promise<void> {
    this.logEnd = await this.store.latestSeq();
    this.prunedThroughSeq = await this.store.prunedThroughSeq();
    for (const { session, attention } of await this.store.trackedSessions()) {
      this.tracked.set(session.id, { session, attention });
    }
    this.stopCoordinating = this.store.coordinate({
      appended: () => this.catchUpSoon(),
      leading: (leads) => this.lead(leads),
    });
    await this.work;
  }

  /** This process starts (or stops) applying time-driven changes and pruning. */
  private lead(leads: boolean): void {
    if (this.leading === leads || this.stopped) return;
    this.leading = leads;
    clearInterval(this.pruneTimer);
    if (!leads) {
      clearTimeout(this.timer);
      this.timerAt = Infinity;
      return;
    }
    // Changes that fell due while no process led (Lookout was down, the leader died) are applied now.
    this.reconsider();
    this.pruneHistory();
    this.pruneTimer = setInterval(() => this.pruneHistory(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Resolves once the writes, catch-ups and time-driven passes queued so far are done. */
  async idle(): Promise<void> {
    for (let work = this.work; ; work = this.work) {
      await work;
      if (work === this.work) return;
    }
  }

  /** Runs `job` after every job queued before it. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    this.work = this.work.then(job, job);
    return this.work;
  }

  /** Another process appended to the log: read what it wrote, once the work queued before is done. */
  private catchUpSoon(): void {
    if (this.catchUpQueued || this.stopped) return;
    this.catchUpQueued = true;
    void this.enqueue(async () => {
      this.catchUpQueued = false;
      try {
        await this.catchUp();
      } catch (error) {
        console.error('Reading the log written by other processes failed; it is read again on the next change:', error);
      }
    });
  }

  /**
   * Applies every log entry after the one this process last saw (written by another process): the
   * feed in memory follows, and subscribers here hear each change in seq order. Notifications are
   * the writing process's, so they are not sent again.
   */
  private async catchUp(): Promise<void> {
    for (;;) {
      const entries = await this.store.changesAfter(this.logEnd, CATCH_UP_PAGE, true);
      if (!entries.length) break;
      const { sessions } = await this.store.read([...new Set(entries.map((e) => e.sessionId))], []);
      for (const entry of entries) {
        const session = sessions.get(entry.sessionId);
        if (!session) {
          this.logEnd = entry.seq;
          continue;
        }
        const logged = { attention: entry.attention, previous: entry.previousAttention, project: entry.project, previousProject: entry.previousProject };
        this.commit(session, entry.seq, logged, session.tracked, false);
      }
      if (entries.length < CATCH_UP_PAGE) break;
    }
    if (!this.leading) this.prunedThroughSeq = await this.store.prunedThroughSeq();
    this.caughtUpAt = Date.now();
  }

  /**
   * Lets every hook that waits for an answer go, with none: its terminal dialog carries on. Each
   * prompt is logged as no longer answerable from Lookout (the buttons go, on every client); stop()
   * writes that before it returns.
   */
  releaseDecisionWaiters(): void {
    for (const waiter of [...this.decisionWaiters]) {
      const { sessionId, requestId } = waiter;
      waiter.settle(null);
      this.change(sessionId, null, [{ kind: 'EXPIRE', input: { requestId }, apply: (current) => current && expirePermission(current, requestId) }]).catch(() => {});
    }
  }

  /** Stops the timers and writes the changes already accepted. */
  async stop(): Promise<void> {
    this.releaseDecisionWaiters();
    this.stopped = true;
    this.stopCoordinating?.();
    clearTimeout(this.timer);
    clearInterval(this.pruneTimer);
    await this.enqueue(() => this.writePending());
  }

  // ---- Reported changes -------------------------------------------------------------------

  /** Several reports about one session, as one write: a hook's steps share one transaction. */
  report(event: { sessionId: string; at?: Date | null }, steps: ReportStep[], actor?: Actor): Promise<Session> {
    return this.change(event.sessionId, event.at, steps.map((step) => this.toStep(event.sessionId, step)), actor);
  }

  /** Several reports, all stored or none: one refused (another person's session), every one is refused with its error. */
  reportTogether(reports: { event: { sessionId: string; at?: Date | null }; steps: ReportStep[] }[], actor?: Actor): Promise<Session[]> {
    const unit = {};
    return Promise.all(reports.map(({ event, steps }) => this.change(event.sessionId, event.at, steps.map((step) => this.toStep(event.sessionId, step)), actor, unit)));
  }

  /** Registers the session, or updates its details; writes nothing when they are already so. */
  registerSession({ sessionId, at, eventId, titleIfNone, ...details }: ReportedEvent & SessionDetails & { titleIfNone?: string }, actor?: Actor) {
    return this.report({ sessionId, at }, [{ kind: 'register', details, titleIfNone, eventId }], actor);
  }

  recordSpeaker({ sessionId, at, eventId, speaker, ...details }: ReportedEvent & SessionDetails & { speaker: Speaker }, actor?: Actor) {
    return this.report({ sessionId, at }, [{ kind: 'speaker', speaker, details, eventId }], actor);
  }

  recordActivity({ sessionId, at, eventId, ...activity }: ReportedEvent & ActivityChange, actor?: Actor) {
    return this.report({ sessionId, at }, [{ kind: 'activity', activity, eventId }], actor);
  }

  reportWorktree({ sessionId, at, eventId, ...worktree }: ReportedEvent & WorktreeChange, actor?: Actor) {
    return this.report({ sessionId, at }, [{ kind: 'worktree', worktree, eventId }], actor);
  }

  closeSession({ sessionId, at, eventId, closedBy }: ReportedEvent & { closedBy: ClosedBy }, actor?: Actor) {
    return this.report({ sessionId, at }, [{ kind: 'close', closedBy, eventId }], actor);
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
          input: { speaker: step.speaker, ...step.details, message: step.message },
          apply: (current, at) => applySpeaker(current, sessionId, step.speaker, step.details ?? {}, at, step.message),
        };
      case 'activity':
        return {
          kind: 'ACTIVITY',
          eventId,
          input: { ...step.activity },
          apply: (current, at) => applyActivity(this.existing(sessionId, current), step.activity, at, this.options.decisionWaitMs),
        };
      case 'worktree':
        return { kind: 'WORKTREE', eventId, input: { ...step.worktree }, apply: (current, at) => applyWorktree(this.existing(sessionId, current), step.worktree, at) };
      case 'close':
        return {
          kind: 'CLOSE',
          eventId,
          input: { closedBy: step.closedBy, detail: step.detail },
          apply: (current, at) => applyClose(this.existing(sessionId, current), step.closedBy, at, step.detail),
        };
    }
  }

  // ---- The user's own actions -------------------------------------------------------------

  markSeen(sessionId: string, actor?: Actor): Promise<Session> {
    return this.change(sessionId, null, [
      { kind: 'SEEN', input: {}, apply: (current, now) => ({ ...this.existing(sessionId, current), seenAt: now }) },
    ], actor);
  }

  snooze(sessionId: string, until: Date, actor?: Actor): Promise<Session> {
    const apply = (current: SessionFields | null, now: Date) => {
      const session = this.existing(sessionId, current);
      const reason = rawAttention(session, now, this.timings(session))?.reason;
      if (!reason) throw new NotInFeedError(sessionId);
      return { ...session, snoozedUntil: until, snoozedReason: reason };
    };
    return this.change(sessionId, null, [{ kind: 'SNOOZE', input: { until: until.toISOString() }, apply }], actor);
  }

  setHidden(sessionId: string, hidden: boolean, actor?: Actor): Promise<Session> {
    return this.change(sessionId, null, [
      { kind: hidden ? 'HIDE' : 'UNHIDE', input: {}, apply: (current) => ({ ...this.existing(sessionId, current), hidden }) },
    ], actor);
  }

  // ---- Permission prompts answered from Lookout ----------------------------------------------

  /**
   * The first answer wins; the waiting hook gets it at once, and the answer is logged and pushed. It
   * settles once the hook says it received the answer; when none does in time, the answer is
   * withdrawn and refused (AnswerNotDeliveredError): nothing is reported as sent that no agent got.
   */
  async answerPermission(requestId: string, answer: { decision: PermissionDecision; message?: string | null; by: AnswerSource }, actor?: Actor): Promise<Session> {
    const apply = (current: SessionFields | null, now: Date) => {
      const { session, request } = answerPermission(current, requestId, answer, now);
      // The agent goes on: the tool runs, or the agent hears the denial (another prompt may still be open).
      return applyActivity(session, { state: 'WORKING', agentId: request.agentId, toolCall: request.toolCall }, now);
    };
    return this.answer(requestId, { requestId, ...answer }, apply, actor);
  }

  /** Answers a question the agent asks (AskUserQuestion), as answerPermission does a prompt. */
  async answerQuestion(requestId: string, answer: { answers: QuestionAnswer[]; by: AnswerSource }, actor?: Actor): Promise<Session> {
    const apply = (current: SessionFields | null, now: Date) => {
      const { session, request } = answerQuestion(current, requestId, answer, now);
      return applyActivity(session, { state: 'WORKING', agentId: request.agentId, toolCall: request.toolCall }, now);
    };
    return this.answer(requestId, { requestId, ...answer }, apply, actor);
  }

  /** Answers an MCP server's form (an elicitation), as answerPermission does a prompt. */
  async answerElicitation(requestId: string, answer: { action: ElicitationAction; values: ElicitationValue[]; by: AnswerSource }, actor?: Actor): Promise<Session> {
    const apply = (current: SessionFields | null, now: Date) => {
      const { session, request } = answerElicitation(current, requestId, answer, now);
      return applyActivity(session, { state: 'WORKING', agentId: request.agentId, toolCall: request.toolCall }, now);
    };
    return this.answer(requestId, { requestId, ...answer }, apply, actor);
  }

  private async answer(requestId: string, input: Record<string, unknown>, apply: Step['apply'], actor?: Actor): Promise<Session> {
    const sessionId = sessionOfRequest(requestId);
    const delivered = this.awaitDelivery(requestId);
    try {
      await this.change(sessionId, null, [{ kind: 'ANSWER', input, apply }], actor);
    } catch (error) {
      delivered.cancel();
      throw error;
    }
    const session = await delivered.promise;
    if (session) return session;
    // Withdrawn, unless the hook's word came meanwhile.
    const withdrawn = await this.change(sessionId, null, [{ kind: 'EXPIRE', input: { requestId, undelivered: true }, apply: (current) => current && expirePermission(current, requestId) }]);
    if (requestOf(withdrawn, requestId)?.status === 'DELIVERED') return withdrawn;
    throw new AnswerNotDeliveredError(requestId);
  }

  /** The session once the hook has received the answer to `requestId`; null when it did not in time. */
  private awaitDelivery(requestId: string): { promise: Promise<Session | null>; cancel(): void } {
    let settle!: (session: Session | null) => void;
    const promise = new Promise<Session | null>((resolve) => (settle = resolve));
    const hear = (session: Session) => {
      const request = session.id === sessionOfRequest(requestId) ? requestOf(session, requestId) : null;
      if (!request || request.status === 'ANSWERED' || request.status === 'PENDING') return;
      done(request.status === 'DELIVERED' ? session : null);
    };
    const timer = setTimeout(() => done(null), this.options.deliveryWaitMs ?? DELIVERY_WAIT_MS);
    const done = (session: Session | null) => {
      clearTimeout(timer);
      this.deliveryListeners.delete(hear);
      settle(session);
    };
    this.deliveryListeners.add(hear);
    return { promise, cancel: () => done(null) };
  }

  /** The hook received the answer it waited for: from now on it is given. */
  acknowledgeAnswer(requestId: string, actor?: Actor): Promise<Session> {
    const sessionId = sessionOfRequest(requestId);
    return this.change(sessionId, null, [{ kind: 'DELIVER', input: { requestId }, apply: (current) => current && deliverAnswer(current, requestId) }], actor);
  }

  /**
   * Waits for the answer to a prompt: the answered request, or null when there will be none from
   * Lookout (answered in the terminal, its time ran out, the hook went away: `gone` aborts).
   */
  async awaitDecision(requestId: string, gone: AbortSignal, actor?: Actor): Promise<PermissionRequest | null> {
    const sessionId = sessionOfRequest(requestId);
    const session = this.tracked.get(sessionId)?.session ?? (await this.store.read([sessionId], [])).sessions.get(sessionId);
    // Only the session's owner's hook hears its answers.
    if (session && actor && !actor.admin && session.owner !== actor.person) return Promise.resolve(null);
    const request = session && requestOf(session, requestId);
    if (!request || this.stopped) return Promise.resolve(null);
    if (request.status !== 'PENDING') return Promise.resolve(request.status === 'ANSWERED' ? request : null);
    return new Promise((resolve) => {
      const expire = () => {
        settle(null);
        // Logged as given up, so that a later answer is refused rather than lost.
        this.change(sessionId, null, [{ kind: 'EXPIRE', input: { requestId }, apply: (current) => current && expirePermission(current, requestId) }]).catch(() => {});
      };
      const timer = setTimeout(expire, Math.min(Math.max(new Date(request.expiresAt).getTime() - Date.now(), 0), MAX_TIMER_MS));
      const waiter: DecisionWaiter = { requestId, sessionId, settle: (answered) => settle(answered) };
      const settle = (answered: PermissionRequest | null) => {
        if (!this.decisionWaiters.delete(waiter)) return;
        clearTimeout(timer);
        gone.removeEventListener('abort', expire);
        resolve(answered);
      };
      this.decisionWaiters.add(waiter);
      gone.addEventListener('abort', expire, { once: true });
    });
  }

  /** After a session's change is stored: its waiting hooks get the answer, or learn there is none. */
  private settleDecisions(session: Session): void {
    if (!this.decisionWaiters.size) return;
    for (const waiter of this.decisionWaiters) {
      if (waiter.sessionId !== session.id) continue;
      const request = requestOf(session, waiter.requestId);
      if (request?.status === 'PENDING') continue;
      waiter.settle(request?.status === 'ANSWERED' ? request : null);
    }
  }

  // ---- Reading ----------------------------------------------------------------------------

  /** The seq of the newest log entry: the feed in memory reflects every change up to it. */
  get latestSeq(): number {
    return this.logEnd;
  }

  /** Hears every attention change once it is stored, in log order (webhooks, push). Returns how to stop. */
  onChange(listener: (change: AttentionChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Whether this process is behind the log (`latestSeq`, read from the store) for longer than a
   * catch-up takes: how many entries it has yet to read, or 0.
   */
  lagging(latestSeq: number, now = Date.now()): number {
    const lag = latestSeq - this.logEnd;
    return lag > 0 && now - this.caughtUpAt > LAG_TOLERATED_MS ? lag : 0;
  }

  /** Hooks waiting in this process for an answer to their prompt. */
  get decisionWaitCount(): number {
    return this.decisionWaiters.size;
  }

  /** Whether this process applies time-driven changes and prunes now. */
  get leads(): boolean {
    return this.leading;
  }

  /** How many feed streams are listening for live changes. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The sessions kept in memory: in the feed, able to enter it by time, or checked on this machine. */
  trackedSessions(): Session[] {
    return [...this.tracked.values()].map(({ session }) => session);
  }

  attentionOf(session: Session): Attention | null {
    return deriveAttention(session, new Date(), this.timings(session));
  }

  /** The feed in order; kept sorted in memory until the next change. */
  feed(filter: FeedFilter = {}): FeedItem[] {
    this.sortedFeed ??= [...this.tracked.values()]
      .flatMap(({ session, attention }) => (attention ? [{ session, attention }] : []))
      .sort((a, b) => inFeedOrder(a.session.id, a.attention, b.session.id, b.attention));
    const { project, tier, owner } = filter;
    if (!project && !tier && !owner) return this.sortedFeed;
    return this.sortedFeed.filter(
      (item) => (!project || item.session.project === project) && (!tier || item.attention.tier === tier) && (!owner || item.session.owner === owner),
    );
  }

  /**
   * Every attention change matching the filter: first those after `after` from the log, then live,
   * with no gap and no duplicate. Ending the stream (the client unsubscribes) stops it at once.
   */
  changes(filter: Omit<FeedFilter, 'tier'> & { minTier?: AttentionTier | null }, after?: number | null): AsyncIterableIterator<FeedEvent> {
    const { project, minTier, owner } = filter;
    const view = (change: AttentionChange): AttentionChange | null => {
      if (owner && change.session.owner !== owner) return null;
      let seen = change;
      if (project && (change.project !== project || change.previousProject !== project)) {
        // Moved into or out of the project: from its feed's point of view, the session entered or left.
        if (change.project !== project && change.previousProject !== project) return null;
        seen = {
          ...change,
          attention: change.project === project ? change.attention : null,
          previous: change.previousProject === project ? change.previous : null,
        };
      }
      const relevant = minTier ? [seen.attention, seen.previous].some((a) => a && meetsTier(a.tier, minTier)) : seen.attention || seen.previous;
      return relevant ? seen : null;
    };
    return new FeedStream(this.feedSource, view, after, this.options.subscriberBuffer ?? 256);
  }

  private async *replay(after: number): AsyncGenerator<AttentionChange> {
    let cursor = after;
    for (;;) {
      const rows = await this.store.changesAfter(cursor, REPLAY_PAGE);
      const { sessions } = await this.store.read([...new Set(rows.map((row) => row.sessionId))], []);
      for (const row of rows) {
        const session = sessions.get(row.sessionId);
        if (!session) continue;
        yield {
          kind: 'change',
          seq: row.seq,
          session,
          attention: row.attention,
          previous: row.previousAttention,
          project: row.project,
          previousProject: row.previousProject,
        };
      }
      if (rows.length < REPLAY_PAGE) return;
      cursor = rows[rows.length - 1]!.seq;
    }
  }

  // ---- Writing ----------------------------------------------------------------------------

  private existing(sessionId: string, current: SessionFields | null): SessionFields {
    if (!current) throw new SessionNotFoundError(sessionId);
    return current;
  }

  /**
   * Accepts a change; it is written, with the others that arrive in the same turn of the event
   * loop, in one transaction, and the promise settles once it is durable.
   */
  private change(sessionId: string, reportedAt: Date | null | undefined, steps: Step[], actor?: Actor, unit?: object): Promise<Session> {
    return new Promise((resolve, reject) => {
      this.pending.push({ sessionId, reportedAt, steps, actor, unit, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.enqueue(() => this.writePending()));
    });
  }

  /**
   * Writes every pending change in one transaction (one fsync), then publishes them in order. When
   * another process wrote first, this one reads what it wrote and plans the batch again.
   */
  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    const deadline = Date.now() + WRITE_RETRIES_FOR_MS;
    let planned: PlannedBatch;
    try {
      planned = await this.planBatch(batch);
    } catch (error) {
      for (const change of batch) change.reject(error);
      return;
    }
    let seqs: number[];
    try {
      seqs = planned.events.length ? await this.store.write(planned, async () => {
        planned = await this.planAgain(deadline, () => this.planBatch(batch));
        return planned;
      }) : [];
    } catch (error) {
      // The answer was lost, not necessarily the write: stored, it is answered as stored; not known, it says so.
      const stored = error instanceof WriteBusyError || !planned.events.length ? false : await this.store.logged(planned.after, planned.events[0]!).catch(() => null);
      if (stored !== true) {
        const told = stored === null ? new WriteUnknownError(error) : error;
        console.error('A write failed:', told);
        for (const change of batch) change.reject(told);
        return;
      }
      seqs = planned.events.map((_, i) => planned.after + i + 1);
    }
    if (seqs.length) this.options.observer?.wrote(seqs.length);
    for (const [change, error] of planned.refused) change.reject(error);
    let next = 0;
    for (const { change, session, tracked, entries } of planned.planned) {
      for (const entry of entries) this.commit(session, seqs[next++]!, entry, tracked, true);
      change.resolve(session);
    }
    for (const { change, session } of planned.unchanged) change.resolve(session);
  }

  /** Another process wrote first: read what it wrote and plan again, for a bounded time. */
  private async planAgain<T>(deadline: number, plan: () => Promise<T>): Promise<T> {
    this.options.observer?.conflicted();
    if (Date.now() > deadline) throw new WriteBusyError();
    await this.catchUp();
    return plan();
  }

  /** Plans a batch against the log as this process has read it: what to write, what changes nothing, what is refused. */
  private async planBatch(batch: PendingChange[]): Promise<PlannedBatch> {
    const refused = new Map<PendingChange, unknown>();
    for (;;) {
      const live = batch.filter((change) => !refused.has(change));
      const now = new Date();
      const after = this.logEnd;
      const reads = await this.store.read(
        [...new Set(live.map((change) => change.sessionId))].filter((id) => !this.tracked.has(id)),
        live.flatMap((change) => change.steps.flatMap((step) => (step.eventId ? [{ sessionId: change.sessionId, eventId: step.eventId }] : []))),
      );
      // What the batch's earlier changes made of each session, for the later ones to build on.
      const latest = new Map<string, { session: Session; attention: Attention | null }>();
      const planned: PlannedWrite[] = [];
      const unchanged: { change: PendingChange; session: Session }[] = [];
      const failedUnits = new Map<object, unknown>();
      for (const change of live) {
        try {
          const plan = this.plan(change, now, latest, reads);
          if ('entries' in plan) planned.push(plan);
          else unchanged.push({ change, session: plan.session });
        } catch (error) {
          refused.set(change, error);
          if (change.unit && !failedUnits.has(change.unit)) failedUnits.set(change.unit, error);
        }
      }
      // A change refused takes the rest of its unit with it: those are refused too, and the batch planned again without them.
      const rest = live.filter((change) => change.unit && failedUnits.has(change.unit) && !refused.has(change));
      for (const change of rest) refused.set(change, failedUnits.get(change.unit!));
      if (rest.length) continue;
      const events = planned.flatMap(({ entries }) => entries.map((entry) => entry.event));
      return { after, writes: { sessions: planned.map(({ session }) => session), tracked: [], events }, events, planned, unchanged, refused };
    }
  }

  /**
   * Applies a change's steps in order: one log entry per step. A step whose event id was seen
   * before is skipped; one that changes nothing is not logged.
   */
  private plan(
    change: PendingChange,
    now: Date,
    latest: Map<string, { session: Session; attention: Attention | null }>,
    reads: WriteReads,
  ): PlannedWrite | { session: Session } {
    const { sessionId, steps } = change;
    const at = eventTime(change.reportedAt, now);
    const known = latest.get(sessionId) ?? this.tracked.get(sessionId);
    const stored = known?.session ?? reads.sessions.get(sessionId) ?? null;
    // A session is its owner's: nobody else reports on it or acts on it, but an admin. To anyone
    // else acting on it, it is not there (no action tells which ids exist); a report on an id that
    // is taken must be refused, and says so.
    const { actor } = change;
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
      const attention = deriveAttention(next, now, this.timings(next));
      const projects = { project: next.project, previousProject: current?.project ?? null };
      entries.push({
        event: {
          sessionId,
          kind: step.kind,
          eventId: step.eventId ?? null,
          at,
          recordedAt: now,
          input: step.input,
          attention,
          previousAttention: previous,
          ...projects,
        },
        attention,
        previous,
        ...projects,
      });
      if (key) stepEventIds.push(key);
      [current, previous] = [next, attention];
    }
    if (!current) throw new SessionNotFoundError(sessionId);
    if (!entries.length && stored) return { session: stored };
    const tracked = isTracked(current, now, this.timings(current));
    const session: Session = { ...current, tracked, createdAt: stored?.createdAt ?? now, updatedAt: now };
    latest.set(sessionId, { session, attention: previous });
    for (const key of stepEventIds) reads.repeats.add(key);
    return { change, session, tracked, entries };
  }

  /**
   * After a write is durable: update the in-memory feed, reschedule, and tell subscribers; and,
   * for this process's own writes (`ours`), the server's listeners (notifications).
   */
  private commit(session: Session, seq: number, logged: LoggedAttention, tracked: boolean, ours: boolean) {
    this.logEnd = seq;
    if (tracked) this.tracked.set(session.id, { session, attention: logged.attention });
    else this.tracked.delete(session.id);
    this.sortedFeed = null;
    // A timer that fires early finds nothing due and waits again, so only an earlier moment matters.
    const nextChange = tracked && this.leading ? (nextAttentionChangeAt(session, new Date(), this.timings(session))?.getTime() ?? Infinity) : Infinity;
    if (nextChange < this.timerAt) this.setTimer(nextChange);
    if (logged.attention || logged.previous) {
      const change: AttentionChange = { kind: 'change', seq, session, ...logged };
      for (const deliver of this.subscribers) deliver(change);
      this.options.observer?.delivered(this.subscribers.size);
      if (ours) for (const hear of this.changeListeners) hear(change);
    }
    this.settleDecisions(session);
    for (const hear of [...this.deliveryListeners]) hear(session);
  }

  /** The timings a session's attention follows: its owner's escalation time, when they set one. */
  private timings(session: Pick<Session, 'owner'>): AttentionTimings {
    const own = this.options.escalateAfterMsOf?.(session.owner);
    if (own === undefined || own === null) return this.options;
    return { ...this.options, escalateAfterMs: own === 0 ? undefined : own };
  }

  /** Someone's timings changed (their escalation time): every attention is derived again, now, by the leader. */
  reconsider(): Promise<void> {
    return this.enqueue(() => this.applyTimeDrivenChanges());
  }

  /** Logs and publishes every attention that time alone changed, then waits for the next one. */
  private async applyTimeDrivenChanges(): Promise<void> {
    if (this.stopped || !this.leading) return;
    let pass = this.timeDrivenChanges();
    let seqs: number[];
    try {
      seqs = await this.store.write(pass, async () => {
        pass = await this.planAgain(Infinity, async () => this.timeDrivenChanges());
        return pass;
      });
    } catch (error) {
      console.error('Applying time-driven attention changes failed; retrying shortly:', error);
      this.setTimer(Date.now() + RETRY_TIMER_MS);
      return;
    }
    const { now, settled, changes } = pass;
    for (const session of settled) this.tracked.delete(session.id);
    changes.forEach(({ session, attention, previous }, i) =>
      this.commit(session, seqs[i]!, { attention, previous, project: session.project, previousProject: session.project }, session.tracked, true),
    );
    this.scheduleNextChange(now);
  }

  /** What time alone has changed by now, against the log as this process has read it. */
  private timeDrivenChanges() {
    const now = new Date();
    const changes: { session: Session; attention: Attention | null; previous: Attention | null }[] = [];
    const settled: Session[] = [];
    for (const { session, attention: previous } of this.tracked.values()) {
      const timings = this.timings(session);
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
    return { after: this.logEnd, writes, now, settled, changes };
  }

  private scheduleNextChange(now: Date): void {
    let next = Infinity;
    for (const { session } of this.tracked.values()) {
      next = Math.min(next, nextAttentionChangeAt(session, now, this.timings(session))?.getTime() ?? Infinity);
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
  private pruneHistory(): void {
    void this.enqueue(async () => {
      if (!this.leading || this.stopped) return;
      try {
        this.prunedThroughSeq = await this.store.prune(new Date(Date.now() - this.options.retentionMs), this.prunedThroughSeq);
      } catch (error) {
        console.error('Pruning the event log failed; it is tried again within the hour:', error);
      }
    });
  }
}
