// One subscriber's feed events: first the logged changes after `after`, then live ones, with no
// gap and no duplicate. A plain pull-based async iterator rather than a Repeater: a waiting
// stream costs about 1.4 KiB instead of 3.6 KiB, and a change reaches it in one hand-over
// (BENCHMARKS.md).
import { RESYNC, ResyncQueue } from './resync-queue.ts';
import { meetsTier } from './rules.ts';
import { wakeSoon } from './wakes.ts';
import { type AttentionTier } from '../../shared/feed-order.ts';
import type { AttentionStore } from './store.ts';
import type { AttentionChange, FeedEvent, FeedFilter, FeedResync } from './vocabulary.ts';

const REPLAY_PAGE = 500;

/** What a stream needs of the attention service. */
export interface FeedSource {
  latestSeq(): number;
  prunedThroughSeq(): number;
  /** Calls `listener` with every change as it is committed; returns the way to stop. */
  listen(listener: (change: AttentionChange) => void): () => void;
  replay(after: number): AsyncGenerator<AttentionChange>;
  /** A stream is about to tell its subscriber to refetch. */
  resynced(): void;
  /** Reads what other processes appended since: a seq another one handed out is then known here too. */
  catchUp(): Promise<void>;
}

export class FeedStream implements AsyncIterableIterator<FeedEvent> {
  /** Live changes not yet taken; bounded, so a subscriber that stops reading costs a fixed amount. */
  private queue: ResyncQueue<AttentionChange> | undefined;
  private replaying: AsyncGenerator<AttentionChange> | undefined;
  private unlisten: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private deliveredSeq = 0;
  private started = false;
  private done = false;

  constructor(
    private readonly source: FeedSource,
    /** The change as this subscriber sees it (its filter), or null when it is not theirs. */
    private readonly view: (change: AttentionChange) => AttentionChange | null,
    private readonly after: number | null | undefined,
    private readonly capacity: number,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<FeedEvent, undefined>> {
    if (!this.started && !this.done) {
      const resync = await this.start();
      if (resync) return { done: false, value: resync };
    }
    while (!this.done) {
      if (this.replaying) {
        const logged = await this.replaying.next();
        if (this.done) break;
        if (logged.done) this.replaying = undefined;
        else {
          this.deliveredSeq = logged.value.seq;
          const seen = this.view(logged.value);
          if (seen) return { done: false, value: seen };
        }
        continue;
      }
      const change = this.queue!.remove();
      if (change === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      } else if (change === RESYNC) {
        this.deliveredSeq = this.source.latestSeq();
        return { done: false, value: this.resync('Too many changes arrived before they could be sent: refetch the feed.') };
      } else if (change.seq > this.deliveredSeq) {
        this.deliveredSeq = change.seq;
        const seen = this.view(change);
        if (seen) return { done: false, value: seen };
      }
    }
    return { done: true, value: undefined };
  }

  /** The subscriber left: stop listening at once, and end a `next` that waits. */
  async return(): Promise<IteratorResult<FeedEvent, undefined>> {
    this.done = true;
    this.unlisten?.();
    this.wake?.();
    await this.replaying?.return(undefined);
    return { done: true, value: undefined };
  }

  /** Starts listening, then decides where the log is read from; a resync when it cannot be. */
  private async start(): Promise<FeedResync | undefined> {
    this.started = true;
    this.queue = new ResyncQueue(this.capacity);
    // Listen before reading the log: a change committed meanwhile is in one or both, never neither.
    this.unlisten = this.source.listen((change) => {
      this.queue!.add(change);
      if (this.wake) wakeSoon(this.wake);
    });
    const { after } = this;
    if (after === null || after === undefined) return undefined;
    // Resuming after a seq another process handed out, which this one may not have read yet.
    if (after > this.source.latestSeq()) await this.source.catchUp();
    if (this.done) return undefined;
    const logEnd = this.source.latestSeq();
    if (after > logEnd || after < this.source.prunedThroughSeq()) {
      this.deliveredSeq = logEnd;
      return this.resync(
        after > logEnd
          ? `The log ends at seq ${logEnd}, before ${after}: refetch the feed.`
          : `Changes after seq ${after} are no longer kept: refetch the feed.`,
      );
    }
    this.deliveredSeq = after;
    this.replaying = this.source.replay(after);
    return undefined;
  }

  private resync(reason: string): FeedResync {
    this.source.resynced();
    return { kind: 'resync', latestSeq: this.source.latestSeq(), reason };
  }
}

/** The change as a subscriber with this filter sees it, or null when it is not theirs. */
export function feedView({ project, minTier, owner }: Omit<FeedFilter, 'tier'> & { minTier?: AttentionTier | null }) {
  return (change: AttentionChange): AttentionChange | null => {
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
}

/** The logged attention changes after `after`, oldest first, each with its session as it is now. */
export async function* replayLog(store: AttentionStore, after: number): AsyncGenerator<AttentionChange> {
  let cursor = after;
  for (;;) {
    const rows = await store.changesAfter(cursor, REPLAY_PAGE);
    const { sessions } = await store.read([...new Set(rows.map((row) => row.sessionId))], []);
    for (const row of rows) {
      const session = sessions.get(row.sessionId);
      if (!session) continue;
      yield { kind: 'change', seq: row.seq, session, attention: row.attention, previous: row.previousAttention, project: row.project, previousProject: row.previousProject };
    }
    if (rows.length < REPLAY_PAGE) return;
    cursor = rows[rows.length - 1]!.seq;
  }
}
