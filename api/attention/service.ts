// The attention service: what the rest of Lookout calls. It composes the parts, each in its own
// module: the sessions kept in memory (tracked-sessions.ts), the write path (writer.ts), the clock
// (clock.ts), the decision waiters (decision-waiters.ts) and the feed streams (feed-stream.ts).
// Several processes share one log (store.ts, `write`). Its words are vocabulary.ts's.
import type { ClosedBy, Session, Speaker } from '../generated/prisma/client.ts';
import { Clock } from './clock.ts';
import { DecisionWaiters } from './decision-waiters.ts';
import type { ElicitationAction, ElicitationValue } from './elicitations.ts';
import { AnswerNotDeliveredError } from './errors.ts';
import { type FeedSource, FeedStream, feedView, replayLog } from './feed-stream.ts';
import { type AnswerSource, answerElicitation, answerPermission, answerQuestion, type PermissionDecision, type PermissionRequest, requestOf, requestsOf, type QuestionAnswer } from './permissions.ts';
import { sessionOfRequest } from '../../shared/hook-wire.ts';
import { type Attention, type AttentionTimings, deriveAttention } from './rules.ts';
import { type AttentionTier } from '../../shared/feed-order.ts';
import { deliverStep, expireStep, hideStep, reportStep, seenStep, snoozeStep } from './steps.ts';
import type { AttentionStore } from './store.ts';
import { TrackedSessions } from './tracked-sessions.ts';
import { type ActivityChange, applyActivity, type SessionDetails, type SessionFields, type WorktreeChange } from './transitions.ts';
import type { Actor, AttentionChange, AttentionObserver, EntryAttention, FeedEvent, FeedFilter, FeedItem, ReportedEvent, ReportStep, Step } from './vocabulary.ts';
import { Writer } from './writer.ts';

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

/** Behind the log for longer than this (several catch-ups missed), a process is not ready. */
const LAG_TOLERATED_MS = 5_000;

type Report = { sessionId: string; at?: Date | null };

export class AttentionService {
  private readonly tracked = new TrackedSessions();
  private readonly writer: Writer;
  private readonly clock: Clock;
  private readonly waiters: DecisionWaiters;
  private readonly subscribers = new Set<(change: AttentionChange) => void>();
  /** The server's own listeners (webhooks, push): not feed streams, so not counted as subscribers. They hear this process's writes, or (`all`) every process's. */
  private readonly listeners = new Map<(change: AttentionChange) => void, 'ours' | 'all'>();
  private stopped = false;
  private stopCoordinating: (() => void) | undefined;
  /** What each subscriber's stream reads. */
  private readonly feedSource: FeedSource = {
    latestSeq: () => this.tracked.logEnd,
    prunedThroughSeq: () => this.tracked.prunedThroughSeq,
    listen: (listener) => {
      this.subscribers.add(listener);
      return () => this.subscribers.delete(listener);
    },
    replay: (after) => {
      this.options.observer?.replayed();
      return replayLog(this.store, after);
    },
    resynced: () => this.options.observer?.resynced(),
    catchUp: () => this.writer.enqueue(() => this.writer.catchUp()),
  };

  constructor(
    private readonly store: AttentionStore,
    private readonly options: AttentionServiceOptions,
  ) {
    const timings = (session: Pick<Session, 'owner'>) => this.timings(session);
    this.writer = new Writer(store, this.tracked, {
      observer: options.observer,
      timings,
      leads: () => this.clock.leads,
      committed: (session, seq, entry, tracked, ours) => this.committed(session, seq, entry, tracked, ours),
    });
    this.clock = new Clock(store, this.tracked, this.writer, { retentionMs: options.retentionMs, timings });
    this.waiters = new DecisionWaiters((sessionId, requestId) => void this.write(sessionId, null, [expireStep(requestId)]).catch(() => {}), options.deliveryWaitMs);
  }

  async start(): Promise<void> {
    this.tracked.logEnd = await this.store.latestSeq();
    this.tracked.prunedThroughSeq = await this.store.prunedThroughSeq();
    for (const { session, attention } of await this.store.trackedSessions()) this.tracked.keep(session, attention, true);
    this.stopCoordinating = this.store.coordinate({
      appended: (seq) => this.writer.catchUpSoon(seq),
      leading: (leads) => this.clock.lead(leads),
    });
    // This process is the log's only writer and has just started: no hook waits on it, so no prompt
    // left open (Lookout was killed, or stopped before a hook came to wait) can be answered here.
    if (!this.store.shared) {
      for (const { session } of this.tracked.values()) {
        for (const request of requestsOf(session)) if (request.status === 'PENDING') void this.write(session.id, null, [expireStep(request.id)]).catch(() => {});
      }
    }
    await this.writer.idle();
  }

  /** Resolves once the writes, catch-ups and time-driven passes queued so far are done. */
  idle(): Promise<void> {
    return this.writer.idle();
  }

  /**
   * Lets every hook that waits for an answer go, with none: its terminal dialog carries on. Each
   * prompt is logged as no longer answerable from Lookout (the buttons go, on every client); stop()
   * writes that before it returns.
   */
  releaseDecisionWaiters(): void {
    this.waiters.releaseAll();
  }

  /** Stops the timers and writes the changes already accepted. */
  async stop(): Promise<void> {
    this.releaseDecisionWaiters();
    this.stopped = true;
    this.stopCoordinating?.();
    this.clock.stop();
    await this.writer.stop();
  }

  // ---- Reports ----------------------------------------------------------------------------

  /** Several reports about one session, as one write: a hook's steps share one transaction. */
  report(event: Report, steps: ReportStep[], actor?: Actor): Promise<Session> {
    return this.write(event.sessionId, event.at, this.reportSteps(event.sessionId, steps), actor);
  }

  /** Several reports, all stored or none: one refused (another person's session), every one is refused with its error. */
  reportTogether(reports: { event: Report; steps: ReportStep[] }[], actor?: Actor): Promise<Session[]> {
    const unit = {};
    return Promise.all(reports.map(({ event, steps }) => this.write(event.sessionId, event.at, this.reportSteps(event.sessionId, steps), actor, unit)));
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

  private reportSteps(sessionId: string, steps: ReportStep[]): Step[] {
    return steps.map((step) => reportStep(sessionId, step, this.options.decisionWaitMs));
  }

  // ---- A person's actions -----------------------------------------------------------------

  markSeen(sessionId: string, actor?: Actor): Promise<Session> {
    return this.write(sessionId, null, [seenStep(sessionId)], actor);
  }

  snooze(sessionId: string, until: Date, actor?: Actor): Promise<Session> {
    return this.write(sessionId, null, [snoozeStep(sessionId, until, (session) => this.timings(session))], actor);
  }

  setHidden(sessionId: string, hidden: boolean, actor?: Actor): Promise<Session> {
    return this.write(sessionId, null, [hideStep(sessionId, hidden)], actor);
  }

  // ---- Prompts answered from Lookout --------------------------------------------------------

  /**
   * The first answer wins; the waiting hook gets it at once, and the answer is logged and pushed. It
   * settles once the hook says it received the answer; when none does in time, the answer is
   * withdrawn and refused (AnswerNotDeliveredError): nothing is reported as sent that no agent got.
   */
  answerPermission(requestId: string, answer: { decision: PermissionDecision; message?: string | null; by: AnswerSource }, actor?: Actor): Promise<Session> {
    return this.answer(requestId, { requestId, ...answer }, (current, now) => answerPermission(current, requestId, answer, now), actor);
  }

  /** Answers a question the agent asks (AskUserQuestion), as answerPermission does a prompt. */
  answerQuestion(requestId: string, answer: { answers: QuestionAnswer[]; by: AnswerSource }, actor?: Actor): Promise<Session> {
    return this.answer(requestId, { requestId, ...answer }, (current, now) => answerQuestion(current, requestId, answer, now), actor);
  }

  /** Answers an MCP server's form (an elicitation), as answerPermission does a prompt. */
  answerElicitation(requestId: string, answer: { action: ElicitationAction; values: ElicitationValue[]; by: AnswerSource }, actor?: Actor): Promise<Session> {
    return this.answer(requestId, { requestId, ...answer }, (current, now) => answerElicitation(current, requestId, answer, now), actor);
  }

  private async answer(
    requestId: string,
    input: Record<string, unknown>,
    answered: (current: SessionFields | null, now: Date) => { session: SessionFields; request: PermissionRequest },
    actor?: Actor,
  ): Promise<Session> {
    // The agent goes on: the tool runs, or the agent hears the denial (another prompt may still be open).
    const apply: Step['apply'] = (current, now) => {
      const { session, request } = answered(current, now);
      return applyActivity(session, { state: 'WORKING', agentId: request.agentId, toolCall: request.toolCall }, now);
    };
    const sessionId = sessionOfRequest(requestId);
    const delivered = this.waiters.awaitDelivery(requestId);
    try {
      await this.write(sessionId, null, [{ kind: 'ANSWER', input, apply }], actor);
    } catch (error) {
      delivered.cancel();
      throw error;
    }
    const session = await delivered.promise;
    if (session) return session;
    // Withdrawn, unless the hook's word came meanwhile.
    const withdrawn = await this.write(sessionId, null, [expireStep(requestId, true)]);
    if (requestOf(withdrawn, requestId)?.status === 'DELIVERED') return withdrawn;
    throw new AnswerNotDeliveredError(requestId);
  }

  /** The hook received the answer it waited for: from now on it is given. */
  acknowledgeAnswer(requestId: string, actor?: Actor): Promise<Session> {
    return this.write(sessionOfRequest(requestId), null, [deliverStep(requestId)], actor);
  }

  /**
   * Waits for the answer to a prompt: the answered request, or null when there will be none from
   * Lookout (answered in the terminal, its time ran out, the hook went away: `gone` aborts).
   */
  async awaitDecision(requestId: string, gone: AbortSignal, actor?: Actor): Promise<PermissionRequest | null> {
    const sessionId = sessionOfRequest(requestId);
    const session = this.tracked.get(sessionId)?.session ?? (await this.store.read([sessionId], [])).sessions.get(sessionId);
    // Only the session's owner's hook hears its answers.
    if (session && actor && !actor.admin && session.owner !== actor.person) return null;
    const request = session && requestOf(session, requestId);
    if (!request || this.stopped) return null;
    if (request.status !== 'PENDING') return request.status === 'ANSWERED' ? request : null;
    return this.waiters.wait(sessionId, requestId, request, gone);
  }

  // ---- Writing and committing ---------------------------------------------------------------

  private write(sessionId: string, reportedAt: Date | null | undefined, steps: Step[], actor?: Actor, unit?: object): Promise<Session> {
    return this.writer.accept(sessionId, reportedAt, steps, actor, unit);
  }

  /** After a log entry is durable: the clock, the subscribers, for this process's own writes the server's listeners, and the waiters. */
  private committed(session: Session, seq: number, entry: EntryAttention, tracked: boolean, ours: boolean): void {
    this.clock.committed(session, tracked);
    if (entry.attention || entry.previous) {
      const change: AttentionChange = { kind: 'change', seq, session, ...entry };
      for (const deliver of this.subscribers) deliver(change);
      this.options.observer?.delivered(this.subscribers.size);
      for (const [hear, which] of this.listeners) if (ours || which === 'all') hear(change);
    }
    this.waiters.committed(session);
  }

  /** The timings a session's attention follows: its owner's escalation time, when they set one. */
  private timings(session: Pick<Session, 'owner'>): AttentionTimings {
    const own = this.options.escalateAfterMsOf?.(session.owner);
    if (own === undefined || own === null) return this.options;
    return { ...this.options, escalateAfterMs: own === 0 ? undefined : own };
  }

  /** Someone's timings changed (their escalation time): every attention is derived again, now, by the leader. */
  reconsider(): Promise<void> {
    return this.clock.reconsider();
  }

  // ---- Reading ----------------------------------------------------------------------------

  /** The seq of the newest log entry: the feed in memory reflects every change up to it. */
  get latestSeq(): number {
    return this.tracked.logEnd;
  }

  /**
   * Hears every attention change this process stored, in log order (news for webhooks and push: each
   * change is told once, by the process that wrote it); with `all`, every process's (what a message
   * this process sent must now say). Returns how to stop.
   */
  onAttentionChange(listener: (change: AttentionChange) => void, which: 'ours' | 'all' = 'ours'): () => void {
    this.listeners.set(listener, which);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether this process is behind the log (`latestSeq`, read from the store) for longer than a
   * catch-up takes: how many entries it has yet to read, or 0.
   */
  lagging(latestSeq: number, now = Date.now()): number {
    const lag = latestSeq - this.tracked.logEnd;
    return lag > 0 && now - this.writer.caughtUpAt > LAG_TOLERATED_MS ? lag : 0;
  }

  /** Hooks waiting in this process for an answer to their prompt. */
  get decisionWaitCount(): number {
    return this.waiters.count;
  }

  /** Whether this process applies time-driven changes and prunes now. */
  get leads(): boolean {
    return this.clock.leads;
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
    return this.tracked.feed(filter);
  }

  /**
   * Every attention change matching the filter: first those after `after` from the log, then live,
   * with no gap and no duplicate. Ending the stream (the client unsubscribes) stops it at once.
   */
  follow(filter: Omit<FeedFilter, 'tier'> & { minTier?: AttentionTier | null }, after?: number | null): AsyncIterableIterator<FeedEvent> {
    return new FeedStream(this.feedSource, feedView(filter), after, this.options.subscriberBuffer ?? 256);
  }
}
