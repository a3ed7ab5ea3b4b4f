// The attention store on PostgreSQL, shared by any number of Lookout processes. The event log is
// their outbox: appends are serialised by a transaction-scoped advisory lock, so seqs commit in
// order and a reader tailing `seq > last` never skips one that commits later; each append notifies
// the others (pg_notify, sent on commit), who also poll, in case a notification was missed. One
// process at a time leads (applies time-driven changes and prunes): whoever holds a session-level
// advisory lock, which PostgreSQL lets go when that process's connection ends, however it ends.
import type pg from 'pg';
import { type Append, type AppendedMeanwhile, type AttentionStore, CATCH_UP_PAGE, eventKey, type LogEntry, type NewEvent, type WriteReads } from '../attention/store.ts';
import type { Session } from '../generated/prisma/client.ts';
import { attentionFromJson, attentionToJson } from './attention-json.ts';
import { SESSION_COLUMNS } from './session-columns.ts';

/** The advisory lock every append takes, until its transaction ends. */
const LOG_LOCK = 7_412_002;
export const LOG_CHANNEL = 'lookout_log';
const PRUNED_THROUGH_KEY = 'prunedThroughSeq';

const q = (column: string) => `"${column}"`;
const LOGGED = `"seq", "sessionId", "attention", "previousAttention", "project", "previousProject"`;
const EVENT_COLUMNS = ['seq', 'sessionId', 'kind', 'eventId', 'at', 'recordedAt', 'input', 'attention', 'previousAttention', 'project', 'previousProject'] as const;
// Each session's newest log entry is never pruned: it holds the attention subscribers last saw.
/** An entry that is not its session's newest: a later one of the same session exists (through the (sessionId, seq) index, for the old entries alone). */
const NOT_NEWEST = 'EXISTS (SELECT 1 FROM "SessionEvent" later WHERE later."sessionId" = "SessionEvent"."sessionId" AND later."seq" > "SessionEvent"."seq")';

/**
 * Text as PostgreSQL can store it: its text holds no NUL character (SQLite's does), and one in a
 * report would fail the whole batch it is written with, everyone's. It is stored as U+FFFD, the
 * replacement character, and looked up the same way.
 */
const storable = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text);

/**
 * A value as an SQL literal. A batch's writes go to PostgreSQL with its COMMIT in one round trip
 * while the log's lock is held, as several statements, which only the simple protocol takes, and it
 * takes no parameters: strings are quoted by pg's own `escapeLiteral`, times sent as UTC ISO strings
 * into `timestamp` columns (which keep UTC, as Prisma does), and nothing else is taken.
 */
function literal(client: pg.ClientBase, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return client.escapeLiteral(storable(value));
  if (value instanceof Date) return client.escapeLiteral(value.toISOString());
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new TypeError(`No SQL literal for ${typeof value} ${String(value)}`);
}

/** `(…), (…)`: each row's values as literals. */
function rowsOf(client: pg.ClientBase, rows: unknown[][]): string {
  return rows.map((row) => `(${row.map((value) => literal(client, value)).join(', ')})`).join(', ');
}

/**
 * Runs `task` on a connection of the pool. A connection that breaks meanwhile (PostgreSQL restarted,
 * the backend terminated) fails the statement in flight with its error and is thrown away, never
 * the process: pg-pool stops listening for a connection's errors while it is lent out.
 */
export async function withConnection<T>(pool: pg.Pool, task: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await task(client);
  } catch (error) {
    broken ??= error as Error;
    throw error;
  } finally {
    client.off('error', onError);
    // A connection whose transaction failed may be in any state: it is not lent again.
    client.release(broken);
  }
}

/** How this process hears the others and learns whether it leads (api/db/postgresql.ts). */
export interface Coordination {
  follow(listeners: { appended(): void; leading(leads: boolean): void }): () => void;
}

type LoggedRow = Omit<LogEntry, 'attention' | 'previousAttention'> & { attention: string | null; previousAttention: string | null };
const toChange = (row: LoggedRow): LogEntry => ({ ...row, attention: attentionFromJson(row.attention), previousAttention: attentionFromJson(row.previousAttention) });

export class PostgresqlAttentionStore implements AttentionStore {
  readonly shared = true;
  constructor(
    private readonly pool: pg.Pool,
    private readonly coordinator: Coordination,
  ) {}

  async close(): Promise<void> {}

  async read(sessionIds: string[], events: { sessionId: string; eventId: string }[]): Promise<WriteReads> {
    // Asked as stored (see storable), answered as asked.
    const sessions = new Map<string, Session>();
    if (sessionIds.length) {
      const asked = new Map(sessionIds.map((id) => [storable(id), id]));
      const { rows } = await this.pool.query<Session>('SELECT * FROM "Session" WHERE "id" = ANY($1::text[])', [[...asked.keys()]]);
      for (const row of rows) {
        const id = asked.get(row.id) ?? row.id;
        sessions.set(id, id === row.id ? row : { ...row, id });
      }
    }
    const repeats = new Set<string>();
    if (events.length) {
      const asked = new Map(events.map((e) => [eventKey(storable(e.sessionId), storable(e.eventId)), eventKey(e.sessionId, e.eventId)]));
      const { rows } = await this.pool.query<{ sessionId: string; eventId: string }>(
        `SELECT e."sessionId", e."eventId" FROM "SessionEvent" e JOIN unnest($1::text[], $2::text[]) AS r("sessionId", "eventId")
           ON e."sessionId" = r."sessionId" AND e."eventId" = r."eventId"`,
        [events.map((e) => storable(e.sessionId)), events.map((e) => storable(e.eventId))],
      );
      for (const row of rows) repeats.add(asked.get(eventKey(row.sessionId, row.eventId))!);
    }
    return { sessions, repeats };
  }

  async trackedSessions() {
    const { rows } = await this.pool.query<Session & { loggedAttention: string | null }>(
      `SELECT s.*, (SELECT e."attention" FROM "SessionEvent" e WHERE e."sessionId" = s."id" ORDER BY e."seq" DESC LIMIT 1) AS "loggedAttention"
         FROM "Session" s WHERE s."tracked"`,
    );
    return rows.map(({ loggedAttention, ...session }) => ({ session, attention: attentionFromJson(loggedAttention) }));
  }

  async latestSeq(): Promise<number> {
    return newestSeq(this.pool);
  }

  async write(append: Append, replan: (meanwhile?: AppendedMeanwhile) => Promise<Append>): Promise<number[]> {
    return withConnection(this.pool, async (client) => {
      try {
        // Where no other process wrote since this one last read the log (most writes): all of it in
        // one round trip (the simple protocol takes several statements at once), the log's lock held
        // only while PostgreSQL runs them, never across a round trip. Under the lock, the log must
        // still end where the plan began, or nothing is written and the write goes the long way.
        try {
          await client.query([`BEGIN; SELECT pg_advisory_xact_lock(${LOG_LOCK})`, logStillEndsAt(client, append.after), ...writesOf(client, append), 'COMMIT'].join(';\n'));
          return seqsOf(append);
        } catch (error) {
          if ((error as { code?: string }).code !== LOG_MOVED) throw error;
          await client.query('ROLLBACK');
        }
        // The long way. One round trip: the transaction, the log's lock and where the log ends. The
        // lock is held until COMMIT: no other process appends meanwhile, so these seqs commit in
        // order, and the log cannot grow again before this write, planned again, is stored.
        const opened = (await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOG_LOCK}); ${NEWEST_SEQ}`)) as unknown as pg.QueryResult<{ seq: number }>[];
        const logEnd = opened.at(-1)!.rows[0]!.seq;
        // Another process wrote first: what it wrote, read in one round trip on this connection, is
        // handed to the plan, which would otherwise read it again in several while the lock is held.
        let meanwhile = logEnd === append.after ? undefined : await appendedSince(client, append.after);
        while (logEnd !== append.after) {
          append = await replan(meanwhile);
          meanwhile = undefined;
        }
        // The rest in one round trip, with the COMMIT.
        await client.query([...writesOf(client, append), 'COMMIT'].join(';\n'));
        return seqsOf(append);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async logged(after: number, event: NewEvent): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM "SessionEvent" WHERE "seq" = $1 AND "sessionId" = $2 AND "kind" = $3 AND "recordedAt" = $4', [
      after + 1,
      storable(event.sessionId),
      event.kind,
      event.recordedAt.toISOString(),
    ]);
    return rows.length > 0;
  }

  async changesAfter(seq: number, limit: number, all = false): Promise<LogEntry[]> {
    const changed = all ? '' : 'AND ("attention" IS NOT NULL OR "previousAttention" IS NOT NULL)';
    const { rows } = await this.pool.query<LoggedRow>(`SELECT ${LOGGED} FROM "SessionEvent" WHERE "seq" > $1 ${changed} ORDER BY "seq" LIMIT $2`, [seq, limit]);
    return rows.map(toChange);
  }

  async prune(cutoff: Date, prunedThroughSeq: number): Promise<number> {
    const { rows } = await this.pool.query<{ seq: number | null }>(
      // `"seq" + 0`: read through the recordedAt index (the old entries alone), not by walking seq down from the newest.
      `SELECT MAX("seq" + 0) AS seq FROM "SessionEvent" WHERE "recordedAt" < $1 AND ${NOT_NEWEST}`,
      [cutoff.toISOString()],
    );
    const last = rows[0]!.seq;
    if (last === null) return prunedThroughSeq;
    const prunedThrough = Math.max(prunedThroughSeq, last);
    await withConnection(this.pool, async (client) => {
      try {
        await client.query('BEGIN');
        await client.query(`DELETE FROM "SessionEvent" WHERE "seq" <= $1 AND "recordedAt" < $2 AND ${NOT_NEWEST}`, [
          prunedThrough,
          cutoff.toISOString(),
        ]);
        await client.query('INSERT INTO "StoreMeta" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value"', [
          PRUNED_THROUGH_KEY,
          String(prunedThrough),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
    return prunedThrough;
  }

  async prunedThroughSeq(): Promise<number> {
    return prunedThrough((await this.pool.query<{ value: string }>(PRUNED_THROUGH)).rows);
  }

  coordinate(listeners: { appended(): void; leading(leads: boolean): void }): () => void {
    return this.coordinator.follow(listeners);
  }
}

const NEWEST_SEQ = 'SELECT COALESCE(MAX("seq"), 0) AS seq FROM "SessionEvent"';
/** The SQLSTATE of a one-round-trip write that found the log moved on: nothing was written. */
const LOG_MOVED = 'LKLOG';

/** Fails the transaction, with LOG_MOVED, unless the log still ends at `after`. */
const logStillEndsAt = (client: pg.ClientBase, after: number) =>
  `DO $$ BEGIN IF (${NEWEST_SEQ}) <> ${literal(client, after)} THEN RAISE EXCEPTION 'The log moved on' USING ERRCODE = '${LOG_MOVED}'; END IF; END $$`;

/** The seqs a planned append takes: the next ones after where its plan began. */
const seqsOf = ({ after, writes }: Append) => writes.events.map((_, i) => after + i + 1);

/** A planned append's statements: its sessions, their tracking, its log entries, and (once committed) the word to the other processes. */
function writesOf(client: pg.ClientBase, append: Append): string[] {
  const { writes, after } = append;
  const seqs = seqsOf(append);
  const statements = [...saveSessions(client, writes.sessions), ...setTracked(client, writes.tracked), ...appendEvents(client, writes.events, after)];
  if (seqs.length) statements.push(`SELECT pg_notify('${LOG_CHANNEL}', '${seqs.at(-1)}')`);
  return statements;
}
const PRUNED_THROUGH = `SELECT "value" FROM "StoreMeta" WHERE "key" = '${PRUNED_THROUGH_KEY}'`;
const prunedThrough = (rows: { value: string }[]) => Number(rows[0]?.value ?? 0);

/** The first page of log entries after `after`, their sessions, and how far the log is pruned: one round trip. */
async function appendedSince(client: pg.ClientBase, after: number): Promise<AppendedMeanwhile> {
  const since = literal(client, after);
  const read = (await client.query(
    `SELECT ${LOGGED} FROM "SessionEvent" WHERE "seq" > ${since} ORDER BY "seq" LIMIT ${CATCH_UP_PAGE};
     SELECT * FROM "Session" WHERE "id" IN (SELECT "sessionId" FROM "SessionEvent" WHERE "seq" > ${since} ORDER BY "seq" LIMIT ${CATCH_UP_PAGE});
     ${PRUNED_THROUGH}`,
  )) as unknown as pg.QueryResult[];
  const [entries, sessions, pruned] = read.map((result) => result.rows) as [LoggedRow[], Session[], { value: string }[]];
  return { after, entries: entries.map(toChange), sessions: new Map(sessions.map((session) => [session.id, session])), prunedThroughSeq: prunedThrough(pruned) };
}

async function newestSeq(client: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ seq: number }>(NEWEST_SEQ);
  return rows[0]!.seq;
}

function saveSessions(client: pg.ClientBase, sessions: Session[]): string[] {
  if (!sessions.length) return [];
  // One row per session (a batch may change one twice: its last state is the one to keep).
  const latest = [...new Map(sessions.map((session) => [session.id, session])).values()];
  const updates = SESSION_COLUMNS.filter((c) => c !== 'id' && c !== 'createdAt').map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
  const rows = latest.map((session) => SESSION_COLUMNS.map((column) => session[column]));
  return [`INSERT INTO "Session" (${SESSION_COLUMNS.map(q).join(', ')}) VALUES ${rowsOf(client, rows)} ON CONFLICT ("id") DO UPDATE SET ${updates.join(', ')}`];
}

function setTracked(client: pg.ClientBase, tracked: Append['writes']['tracked']): string[] {
  if (!tracked.length) return [];
  const rows = tracked.map((t) => [t.sessionId, t.tracked, t.at]);
  return [
    `UPDATE "Session" s SET "tracked" = u."tracked", "updatedAt" = u."at"::timestamp
       FROM (VALUES ${rowsOf(client, rows)}) AS u("id", "tracked", "at") WHERE s."id" = u."id"`,
  ];
}

function appendEvents(client: pg.ClientBase, events: NewEvent[], after: number): string[] {
  if (!events.length) return [];
  const rows = events.map((event, i) => [
    after + i + 1,
    event.sessionId,
    event.kind,
    event.eventId,
    event.at,
    event.recordedAt,
    JSON.stringify(event.input),
    attentionToJson(event.attention),
    attentionToJson(event.previousAttention),
    event.project,
    event.previousProject,
  ]);
  return [`INSERT INTO "SessionEvent" (${EVENT_COLUMNS.map(q).join(', ')}) VALUES ${rowsOf(client, rows)}`];
}
