// The sessions this process keeps in memory (in the feed, able to enter it by time, or checked on
// this machine) and how far it has read the log: what feed reads answer from without the store.
import type { Session } from '../generated/prisma/client.ts';
import { type Attention } from './rules.ts';
import { inFeedOrder } from '../../shared/feed-order.ts';
import type { FeedFilter, FeedItem } from './vocabulary.ts';

export interface TrackedSession {
  session: Session;
  /** The attention last written to the log: what subscribers have seen. */
  attention: Attention | null;
}

export class TrackedSessions {
  private readonly sessions = new Map<string, TrackedSession>();
  private sorted: FeedItem[] | null = null;
  /** The seq of the newest log entry this process has read or written. */
  logEnd = 0;
  /** The highest seq pruned from the log: a reader after an older one has missed changes. */
  prunedThroughSeq = 0;

  get(sessionId: string): TrackedSession | undefined {
    return this.sessions.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  values(): IterableIterator<TrackedSession> {
    return this.sessions.values();
  }

  /** Keeps the session with the attention its newest log entry holds, or lets it go (`tracked` false). */
  keep(session: Session, attention: Attention | null, tracked: boolean): void {
    if (tracked) this.sessions.set(session.id, { session, attention });
    else this.sessions.delete(session.id);
    this.sorted = null;
  }

  /** The feed in order; kept sorted until the next change. */
  feed(filter: FeedFilter = {}): FeedItem[] {
    this.sorted ??= [...this.sessions.values()]
      .flatMap(({ session, attention }) => (attention ? [{ session, attention }] : []))
      .sort((a, b) => inFeedOrder(a.session.id, a.attention, b.session.id, b.attention));
    const { project, tier, owner } = filter;
    if (!project && !tier && !owner) return this.sorted;
    return this.sorted.filter(
      (item) => (!project || item.session.project === project) && (!tier || item.attention.tier === tier) && (!owner || item.session.owner === owner),
    );
  }
}
