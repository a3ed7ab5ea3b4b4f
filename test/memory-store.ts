// The attention store in memory, for the service's own tests: the same contract as the engines'
// stores (api/db/attention-store.test.ts runs the contract against all three), no database.
// One process owns it: it leads, and nobody else appends.
import type { Append, Appended, AttentionStore, Coordinated, LogEntry, NewEvent, Stored, WriteReads } from '../api/attention/store.ts';
import { CATCH_UP_PAGE, eventKey } from '../api/attention/store.ts';
import type { Session } from '../api/generated/prisma/client.ts';

type Logged = NewEvent & { seq: number };

export class MemoryAttentionStore implements AttentionStore {
  readonly shared = false;
  private readonly sessions = new Map<string, Session>();
  private log: Logged[] = [];
  private nextSeq = 1;
  private pruned = 0;
  /** Set by a test: the next write fails before it stores anything. */
  failNextWrite: Error | null = null;

  async read(sessionIds: string[], events: { sessionId: string; eventId: string }[]): Promise<WriteReads> {
    const sessions = new Map<string, Session>();
    for (const id of sessionIds) {
      const session = this.sessions.get(id);
      if (session) sessions.set(id, structuredClone(session));
    }
    const repeats = new Set<string>();
    for (const { sessionId, eventId } of events) {
      if (this.log.some((e) => e.sessionId === sessionId && e.eventId === eventId)) repeats.add(eventKey(sessionId, eventId));
    }
    return { sessions, repeats };
  }

  async trackedSessions() {
    return [...this.sessions.values()]
      .filter((session) => session.tracked)
      .map((session) => ({ session: structuredClone(session), attention: structuredClone(this.newestOf(session.id)?.attention ?? null) }));
  }

  async latestSeq(): Promise<number> {
    return this.log.at(-1)?.seq ?? 0;
  }

  async write(append: Append, replan: () => Promise<Append>): Promise<Stored> {
    for (;;) {
      if (this.failNextWrite) {
        const error = this.failNextWrite;
        this.failNextWrite = null;
        throw error;
      }
      const { after, writes } = append;
      if ((await this.latestSeq()) !== after) {
        append = await replan();
        continue;
      }
      for (const session of writes.sessions) {
        const stored = this.sessions.get(session.id);
        this.sessions.set(session.id, structuredClone({ ...session, createdAt: stored?.createdAt ?? session.createdAt }));
      }
      for (const { sessionId, tracked, at } of writes.tracked) {
        const stored = this.sessions.get(sessionId);
        if (stored) this.sessions.set(sessionId, { ...stored, tracked, updatedAt: at });
      }
      const seqs = writes.events.map((event) => {
        const seq = this.nextSeq++;
        this.log.push({ ...structuredClone(event), seq });
        return seq;
      });
      return { seqs };
    }
  }

  async logged(after: number, event: NewEvent): Promise<number | null> {
    const entry = this.log.find((e) => e.seq > after && e.sessionId === event.sessionId && e.kind === event.kind && e.recordedAt.getTime() === event.recordedAt.getTime());
    return entry?.seq ?? null;
  }

  async changesAfter(seq: number, limit: number): Promise<LogEntry[]> {
    return this.entriesAfter(seq, limit, (e) => e.attention !== null || e.previousAttention !== null);
  }

  async appendedAfter(after: number): Promise<Appended> {
    const entries = this.entriesAfter(after, CATCH_UP_PAGE, () => true);
    const { sessions } = await this.read([...new Set(entries.map((e) => e.sessionId))], []);
    return { after, entries, sessions, prunedThroughSeq: this.pruned };
  }

  async prune(cutoff: Date, prunedThroughSeq: number): Promise<number> {
    const newest = new Set([...new Set(this.log.map((e) => e.sessionId))].map((id) => this.newestOf(id)!.seq));
    const prunable = this.log.filter((e) => e.recordedAt < cutoff && !newest.has(e.seq));
    if (!prunable.length) return prunedThroughSeq;
    const through = Math.max(prunedThroughSeq, ...prunable.map((e) => e.seq));
    this.log = this.log.filter((e) => !(e.seq <= through && e.recordedAt < cutoff && !newest.has(e.seq)));
    this.pruned = through;
    return through;
  }

  async prunedThroughSeq(): Promise<number> {
    return this.pruned;
  }

  coordinate(listeners: Coordinated): () => void {
    listeners.leading(true);
    return () => {};
  }

  async close(): Promise<void> {}

  /** The log as it is stored, oldest first: what a test reads where it would query the database. */
  entries(): readonly Logged[] {
    return this.log;
  }

  private entriesAfter(seq: number, limit: number, wanted: (entry: Logged) => boolean): LogEntry[] {
    return this.log
      .filter((e) => e.seq > seq && wanted(e))
      .slice(0, limit)
      .map(({ seq: s, sessionId, attention, previousAttention, project, previousProject }) => structuredClone({ seq: s, sessionId, attention, previousAttention, project, previousProject }));
  }

  private newestOf(sessionId: string): Logged | undefined {
    return this.log.findLast((e) => e.sessionId === sessionId);
  }
}
