// The attention store on SQLite: its own better-sqlite3 connection to Lookout's SQLite file, with
// prepared statements, for everything the attention service reads and writes. Through Prisma each statement
// cost about 1.3 ms here (its query compiler and an async round trip), which held writes to about
// 200 a second (`npm run bench`, writes); here a report's statements take tens of microseconds (a
// whole write, fsync included, about 0.3 ms), and the service writes every report that arrives
// together in one transaction, with one fsync. GraphQL's own read queries (sessions, event logs)
// still go through Prisma, over a second connection.
import Database from 'better-sqlite3';
import type { AttentionStore, LoggedChange, NewEvent } from '../attention/store.ts';
import type { Session } from '../generated/prisma/client.ts';
import { attentionFromJson, attentionToJson } from './attention-json.ts';
import { toStored } from './dates.ts';

const BUSY_TIMEOUT_MS = 5_000;

type DateColumn = { [K in keyof Session]-?: Date extends Session[K] ? K : never }[keyof Session];

// Every column, so that a row read back is exactly the Session Prisma would return. The checks
// below fail to compile when the schema gains a column these lists do not name.
const SESSION_COLUMNS = [
  'id', 'agent', 'title', 'project', 'cwd', 'branch', 'host', 'link', 'state', 'stateAt', 'activityAt',
  'waitReason', 'waitDetail', 'lastSpeaker', 'lastSpeakerAt', 'lastEventAt', 'uncommittedFiles', 'worktreeAt',
  'dirtySince', 'closedBy', 'closedAt', 'hidden', 'seenAt', 'snoozedUntil', 'snoozedReason', 'tracked',
  'createdAt', 'updatedAt', 'agentWaits', 'backgroundTasks', 'lastMessage', 'closeDetail', 'agentPid', 'transcriptPath', 'permissionRequest', 'owner',
] as const satisfies readonly (keyof Session)[];
const DATE_COLUMNS = [
  'stateAt', 'activityAt', 'lastSpeakerAt', 'lastEventAt', 'worktreeAt', 'dirtySince', 'closedAt', 'seenAt',
  'snoozedUntil', 'createdAt', 'updatedAt',
] as const satisfies readonly DateColumn[];
const BOOLEAN_COLUMNS = ['hidden', 'tracked'] as const satisfies readonly (keyof Session)[];
type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const everyColumnListed: Unlisted<keyof Session, (typeof SESSION_COLUMNS)[number]> = true;
const everyDateListed: Unlisted<DateColumn, (typeof DATE_COLUMNS)[number]> = true;
void [everyColumnListed, everyDateListed];

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

const PRUNED_THROUGH_KEY = 'prunedThroughSeq';
// Each session's newest log entry is never pruned: it holds the attention subscribers last saw.
const NEWEST_EVENT_PER_SESSION = 'SELECT MAX(seq) FROM SessionEvent GROUP BY sessionId';

/** The statements, by what they do; `npm run bench` checks their query plans. */
export const STORE_SQL = {
  session: 'SELECT * FROM Session WHERE id = ?',
  trackedSessions: 'SELECT * FROM Session WHERE tracked = 1',
  lastLoggedAttention: 'SELECT attention FROM SessionEvent WHERE sessionId = ? ORDER BY seq DESC LIMIT 1',
  latestSeq: 'SELECT MAX(seq) AS seq FROM SessionEvent',
  isRepeat: 'SELECT 1 FROM SessionEvent WHERE sessionId = ? AND eventId = ?',
  saveSession: `INSERT INTO Session (${SESSION_COLUMNS.join(', ')}) VALUES (${SESSION_COLUMNS.map((c) => `@${c}`).join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${SESSION_COLUMNS.filter((c) => c !== 'id' && c !== 'createdAt').map((c) => `${c} = excluded.${c}`).join(', ')}`,
  setTracked: 'UPDATE Session SET tracked = ?, updatedAt = ? WHERE id = ?',
  appendEvent: `INSERT INTO SessionEvent (sessionId, kind, eventId, at, recordedAt, input, attention, previousAttention, project, previousProject)
    VALUES (@sessionId, @kind, @eventId, @at, @recordedAt, @input, @attention, @previousAttention, @project, @previousProject)`,
  changesAfter: `SELECT seq, sessionId, attention, previousAttention, project, previousProject FROM SessionEvent
    WHERE seq > ? AND (attention IS NOT NULL OR previousAttention IS NOT NULL) ORDER BY seq LIMIT ?`,
  lastPrunable: `SELECT MAX(seq) AS seq FROM SessionEvent WHERE recordedAt < ? AND seq NOT IN (${NEWEST_EVENT_PER_SESSION})`,
  prune: `DELETE FROM SessionEvent WHERE seq <= ? AND recordedAt < ? AND seq NOT IN (${NEWEST_EVENT_PER_SESSION})`,
  readMeta: 'SELECT value FROM StoreMeta WHERE key = ?',
  writeMeta: 'INSERT INTO StoreMeta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

export class SqliteAttentionStore implements AttentionStore {
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

  close(): void {
    this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  session(id: string): Session | null {
    const row = this.sql.session.get(id) as Row | undefined;
    return row ? toSession(row) : null;
  }

  trackedSessions() {
    return (this.sql.trackedSessions.all() as Row[]).map((row) => ({
      session: toSession(row),
      attention: attentionFromJson((this.sql.lastLoggedAttention.get(row.id) as { attention: string | null } | undefined)?.attention ?? null),
    }));
  }

  latestSeq(): number {
    return (this.sql.latestSeq.get() as { seq: number | null }).seq ?? 0;
  }

  isRepeat(sessionId: string, eventId: string): boolean {
    return this.sql.isRepeat.get(sessionId, eventId) !== undefined;
  }

  saveSession(session: Session): void {
    this.sql.saveSession.run(toRow(session));
  }

  setTracked(sessionId: string, tracked: boolean, at: Date): void {
    this.sql.setTracked.run(tracked ? 1 : 0, toStored(at), sessionId);
  }

  appendEvent(event: NewEvent): number {
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

  changesAfter(seq: number, limit: number): LoggedChange[] {
    return (this.sql.changesAfter.all(seq, limit) as (Omit<LoggedChange, 'attention' | 'previousAttention'> & { attention: string | null; previousAttention: string | null })[]).map(
      (row) => ({ ...row, attention: attentionFromJson(row.attention), previousAttention: attentionFromJson(row.previousAttention) }),
    );
  }

  prune(cutoff: Date, prunedThroughSeq: number): number {
    const stored = toStored(cutoff);
    const last = (this.sql.lastPrunable.get(stored) as { seq: number | null }).seq;
    if (last === null) return prunedThroughSeq;
    const prunedThrough = Math.max(prunedThroughSeq, last);
    this.transaction(() => {
      this.sql.prune.run(prunedThrough, stored);
      this.writeMeta(PRUNED_THROUGH_KEY, String(prunedThrough));
    });
    return prunedThrough;
  }

  prunedThroughSeq(): number {
    return Number(this.readMeta(PRUNED_THROUGH_KEY) ?? 0);
  }

  private readMeta(key: string): string | null {
    return (this.sql.readMeta.get(key) as { value: string } | undefined)?.value ?? null;
  }

  private writeMeta(key: string, value: string): void {
    this.sql.writeMeta.run(key, value);
  }
}
