// The attention store on SQLite: its own better-sqlite3 connection to Lookout's SQLite file, with
// prepared statements, for everything the attention service reads and writes. Through Prisma each statement
// cost about 1.3 ms here (its query compiler and an async round trip), which held writes to about
// 200 a second (`npm run bench`, writes); here a report's statements take tens of microseconds (a
// whole write, fsync included, about 0.3 ms), and the service writes every report that arrives
// together in one transaction, with one fsync. GraphQL's own read queries (sessions, event logs)
// still go through Prisma, over a second connection.
import Database from 'better-sqlite3';
import { type Append, type Appended, type AttentionStore, CATCH_UP_PAGE, type Coordinated, eventKey, type LogEntry, type NewEvent, type Stored, type WriteReads } from '../attention/store.ts';
import type { Session } from '../generated/prisma/client.ts';
import { attentionFromJson, attentionToJson } from './attention-json.ts';
import { toStored } from './dates.ts';
import { BOOLEAN_COLUMNS, DATE_COLUMNS, SESSION_COLUMNS } from './session-columns.ts';

const BUSY_TIMEOUT_MS = 5_000;

type Row = Record<string, unknown>;

function toSession(row: Row): Session {
  const session: Row = { ...row };
  for (const column of DATE_COLUMNS) {
    const value = row[column];
    session[column] = value === null ? null : new Date(typeof value === 'number' ? value : String(value));
  }
  for (const column of BOOLEAN_COLUMNS) session[column] = row[column] === 1;
  return session as unknown as Session;
}

function toRow(session: Session): Row {
  const row: Row = {};
  for (const column of SESSION_COLUMNS) row[column] = session[column];
  for (const column of DATE_COLUMNS) row[column] = session[column] && toStored(session[column]);
  for (const column of BOOLEAN_COLUMNS) row[column] = session[column] ? 1 : 0;
  return row;
}

type LoggedRow = Omit<LogEntry, 'attention' | 'previousAttention'> & { attention: string | null; previousAttention: string | null };
const toEntry = (row: LoggedRow): LogEntry => ({ ...row, attention: attentionFromJson(row.attention), previousAttention: attentionFromJson(row.previousAttention) });

const PRUNED_THROUGH_KEY = 'prunedThroughSeq';
// Each session's newest log entry is never pruned: it holds the attention subscribers last saw.
/**
 * An entry that is not its session's newest: a later one of the same session exists (found through
 * the (sessionId, seq) index, for the old entries alone: with nothing old, nothing is read).
 */
const NOT_NEWEST = 'EXISTS (SELECT 1 FROM SessionEvent later WHERE later.sessionId = SessionEvent.sessionId AND later.seq > SessionEvent.seq)';

/** The statements, by what they do; `npm run bench` checks their query plans. */
export const STORE_SQL = {
  session: 'SELECT * FROM Session WHERE id = ?',
  trackedSessions: 'SELECT * FROM Session WHERE tracked = 1',
  lastLoggedAttention: 'SELECT attention FROM SessionEvent WHERE sessionId = ? ORDER BY seq DESC LIMIT 1',
  latestSeq: 'SELECT MAX(seq) AS seq FROM SessionEvent',
  logged: 'SELECT seq FROM SessionEvent WHERE sessionId = ? AND seq > ? AND kind = ? AND recordedAt = ? ORDER BY seq LIMIT 1',
  isRepeat: 'SELECT 1 FROM SessionEvent WHERE sessionId = ? AND eventId = ?',
  saveSession: `INSERT INTO Session (${SESSION_COLUMNS.join(', ')}) VALUES (${SESSION_COLUMNS.map((c) => `@${c}`).join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${SESSION_COLUMNS.filter((c) => c !== 'id' && c !== 'createdAt').map((c) => `${c} = excluded.${c}`).join(', ')}`,
  setTracked: 'UPDATE Session SET tracked = ?, updatedAt = ? WHERE id = ?',
  appendEvent: `INSERT INTO SessionEvent (sessionId, kind, eventId, at, recordedAt, input, attention, previousAttention, project, previousProject)
    VALUES (@sessionId, @kind, @eventId, @at, @recordedAt, @input, @attention, @previousAttention, @project, @previousProject)`,
  changesAfter: `SELECT seq, sessionId, attention, previousAttention, project, previousProject FROM SessionEvent
    WHERE seq > ? AND (attention IS NOT NULL OR previousAttention IS NOT NULL) ORDER BY seq LIMIT ?`,
  entriesAfter: 'SELECT seq, sessionId, attention, previousAttention, project, previousProject FROM SessionEvent WHERE seq > ? ORDER BY seq LIMIT ?',
  // `+seq`: read through the recordedAt index (the old entries alone), not by walking seq down from the newest.
  lastPrunable: `SELECT MAX(+seq) AS seq FROM SessionEvent WHERE recordedAt < ? AND ${NOT_NEWEST}`,
  prune: `DELETE FROM SessionEvent WHERE seq <= ? AND recordedAt < ? AND ${NOT_NEWEST}`,
  readMeta: 'SELECT value FROM StoreMeta WHERE key = ?',
  writeMeta: 'INSERT INTO StoreMeta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

/** One process owns the file: it leads, and nobody else appends. */
export class SqliteAttentionStore implements AttentionStore {
  readonly shared = false;
  private readonly db: Database.Database;
  private readonly sql: { [K in keyof typeof STORE_SQL]: Database.Statement };

  /** Opens a migrated database file. */
  constructor(file: string) {
    this.db = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    // WAL lets readers run beside the writer. synchronous=FULL syncs the WAL on every commit: a
    // report Lookout acknowledged survives even a power loss.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.sql = Object.fromEntries(Object.entries(STORE_SQL).map(([name, sql]) => [name, this.db.prepare(sql)])) as SqliteAttentionStore['sql'];
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async read(sessionIds: string[], events: { sessionId: string; eventId: string }[]): Promise<WriteReads> {
    const sessions = new Map<string, Session>();
    for (const id of sessionIds) {
      const row = this.sql.session.get(id) as Row | undefined;
      if (row) sessions.set(id, toSession(row));
    }
    const repeats = new Set<string>();
    for (const { sessionId, eventId } of events) if (this.sql.isRepeat.get(sessionId, eventId)) repeats.add(eventKey(sessionId, eventId));
    return { sessions, repeats };
  }

  async trackedSessions() {
    return (this.sql.trackedSessions.all() as Row[]).map((row) => ({
      session: toSession(row),
      attention: attentionFromJson((this.sql.lastLoggedAttention.get(row.id) as { attention: string | null } | undefined)?.attention ?? null),
    }));
  }

  async latestSeq(): Promise<number> {
    return this.newestSeq();
  }

  async write(append: Append, replan: () => Promise<Append>): Promise<Stored> {
    for (;;) {
      const { after, writes } = append;
      const seqs = this.db.transaction(() => {
        if (this.newestSeq() !== after) return null;
        for (const session of writes.sessions) this.sql.saveSession.run(toRow(session));
        for (const { sessionId, tracked, at } of writes.tracked) this.sql.setTracked.run(tracked ? 1 : 0, toStored(at), sessionId);
        return writes.events.map((event) => this.append(event));
      }).immediate();
      if (seqs) return { seqs };
      // Another process wrote (a transaction cannot wait for the caller here): plan again, then try again.
      append = await replan();
    }
  }

  async changesAfter(seq: number, limit: number): Promise<LogEntry[]> {
    return (this.sql.changesAfter.all(seq, limit) as LoggedRow[]).map(toEntry);
  }

  async appendedAfter(after: number): Promise<Appended> {
    const entries = (this.sql.entriesAfter.all(after, CATCH_UP_PAGE) as LoggedRow[]).map(toEntry);
    const { sessions } = await this.read([...new Set(entries.map((entry) => entry.sessionId))], []);
    return { after, entries, sessions, prunedThroughSeq: await this.prunedThroughSeq() };
  }

  async prune(cutoff: Date, prunedThroughSeq: number): Promise<number> {
    const stored = toStored(cutoff);
    const last = (this.sql.lastPrunable.get(stored) as { seq: number | null }).seq;
    if (last === null) return prunedThroughSeq;
    const prunedThrough = Math.max(prunedThroughSeq, last);
    this.db.transaction(() => {
      this.sql.prune.run(prunedThrough, stored);
      this.sql.writeMeta.run(PRUNED_THROUGH_KEY, String(prunedThrough));
    })();
    return prunedThrough;
  }

  async prunedThroughSeq(): Promise<number> {
    return Number((this.sql.readMeta.get(PRUNED_THROUGH_KEY) as { value: string } | undefined)?.value ?? 0);
  }

  coordinate(listeners: Coordinated): () => void {
    listeners.leading(true);
    return () => {};
  }

  async logged(after: number, event: NewEvent): Promise<number | null> {
    return (this.sql.logged.get(event.sessionId, after, event.kind, toStored(event.recordedAt)) as { seq: number } | undefined)?.seq ?? null;
  }

  private newestSeq(): number {
    return (this.sql.latestSeq.get() as { seq: number | null }).seq ?? 0;
  }

  private append(event: NewEvent): number {
    const { at, recordedAt, input, attention, previousAttention, ...rest } = event;
    return Number(
      this.sql.appendEvent.run({
        ...rest,
        at: toStored(at),
        recordedAt: toStored(recordedAt),
        input: JSON.stringify(input),
        attention: attentionToJson(attention),
        previousAttention: attentionToJson(previousAttention),
      }).lastInsertRowid,
    );
  }
}
