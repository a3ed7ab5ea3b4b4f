// The attention store on PostgreSQL, shared by any number of Lookout processes. The event log is
// their outbox: appends are serialised by a transaction-scoped advisory lock, so seqs commit in
// order and a reader tailing `seq > last` never skips one that commits later; each append notifies
// the others (pg_notify, sent on commit), who also poll, in case a notification was missed. One
// process at a time leads (applies time-driven changes and prunes): whoever holds a session-level
// advisory lock, which PostgreSQL lets go when that process's connection ends, however it ends.
import type pg from 'pg';
import { type Append, type Appended, type AttentionStore, CATCH_UP_PAGE, type Coordinated, eventKey, type LogEntry, type NewEvent, type Stored, type WriteReads } from '../attention/store.ts';
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
  follow(listeners: Coordinated): () => void;
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

  async write(append: Append, replan: (meanwhile?: Appended) => Promise<Append>): Promise<Stored> {
    return withConnection(this.pool, async (client) => {
      try {
        // Where nothing is in the way, all of it in one round trip (the simple protocol takes several
        // statements at once): the log's lock is held only while PostgreSQL runs them, never across
        // a round trip. First as if no other process wrote since the plan (most writes; every write
        // of a process alone): under the lock, the log must still end where the plan began.
        const alone = await atOnce(client, [], append, logStillEndsAt(client, append.after), String(append.after));
        if (alone) return { seqs: alone.seqs };
        // Then as if none wrote to this write's sessions: it goes at the log's end, and hands back
        // what the others appended meanwhile, to be heard before it. (Each failed try's ROLLBACK
        // goes with the next one.)
        const beside = await atOnce(client, ['ROLLBACK'], append, untouchedSince(client, append), `current_setting('${LOG_END_SETTING}')::integer`, entriesSince(client, append.after));
        if (beside) {
          const entries = (beside.read as LoggedRow[]).map(toChange);
          return { seqs: beside.seqs, meanwhile: entries.length ? await readAppended(client, append.after, entries) : undefined };
        }
        // The long way. One round trip: the transaction, the log's lock and where the log ends. The
        // lock is held until COMMIT: no other process appends meanwhile, so these seqs commit in
        // order, and the log cannot grow again before this write, planned again, is stored.
        const opened = (await client.query(`ROLLBACK; BEGIN; SELECT pg_advisory_xact_lock(${LOG_LOCK}); ${NEWEST_SEQ}`)) as unknown as pg.QueryResult<{ seq: number }>[];
        const logEnd = opened.at(-1)!.rows[0]!.seq;
        // Another process wrote first: what it wrote, read in one round trip on this connection, is
        // handed to the plan, which would otherwise read it again in several while the lock is held.
        let meanwhile = logEnd === append.after ? undefined : await appendedSince(client, append.after);
        while (logEnd !== append.after) {
          append = await replan(meanwhile);
          meanwhile = undefined;
        }
        // The rest in one round trip, with the COMMIT.
        const statements = [...sessionWrites(client, append.writes), ...logWrites(client, append.writes.events, String(logEnd)), 'COMMIT'];
        return { seqs: seqsOf(append.writes.events, await inOneRoundTrip(client, statements)) };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async logged(after: number, event: NewEvent): Promise<number | null> {
    const { rows } = await this.pool.query<{ seq: number }>(
      'SELECT "seq" FROM "SessionEvent" WHERE "sessionId" = $1 AND "seq" > $2 AND "kind" = $3 AND "recordedAt" = $4 ORDER BY "seq" LIMIT 1',
      [storable(event.sessionId), after, event.kind, event.recordedAt.toISOString()],
    );
    return rows[0]?.seq ?? null;
  }

  async changesAfter(seq: number, limit: number): Promise<LogEntry[]> {
    const { rows } = await this.pool.query<LoggedRow>(
      `SELECT ${LOGGED} FROM "SessionEvent" WHERE "seq" > $1 AND ("attention" IS NOT NULL OR "previousAttention" IS NOT NULL) ORDER BY "seq" LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toChange);
  }

  async appendedAfter(after: number): Promise<Appended> {
    return withConnection(this.pool, (client) => appendedSince(client, after));
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
    return prunedThrough((await this.pool.query<{ value: string }>(PRUNED_THROUGH)).rows[0]?.value);
  }

  coordinate(listeners: Coordinated): () => void {
    return this.coordinator.follow(listeners);
  }
}

const NEWEST_SEQ = 'SELECT COALESCE(MAX("seq"), 0) AS seq FROM "SessionEvent"';
/** The SQLSTATE of a one-round-trip write that found the log moved on: nothing was written. */
const LOG_MOVED = 'LKLOG';
/** Where the log ended when the write took the lock (untouchedSince), for its entries to number on from. */
const LOG_END_SETTING = 'lookout.log_end';

/**
 * A write in one round trip: `before` (what an earlier try left to do), the transaction, the log's
 * lock, `check`, `read` (a statement whose rows are handed back), the writes numbered on from
 * `base` (an SQL expression of where the log ends), COMMIT. Null when `check` found the log moved:
 * nothing was written, and the transaction waits for its ROLLBACK.
 */
async function atOnce(client: pg.ClientBase, before: string[], append: Append, check: string, base: string, read?: string): Promise<{ seqs: number[]; read: unknown[] } | null> {
  const opening = [...before, 'BEGIN', `SELECT pg_advisory_xact_lock(${LOG_LOCK})`, check];
  const statements = [...opening, ...(read ? [read] : []), ...sessionWrites(client, append.writes), ...logWrites(client, append.writes.events, base), 'COMMIT'];
  try {
    const results = await inOneRoundTrip(client, statements);
    return { seqs: seqsOf(append.writes.events, results), read: read ? results[opening.length]!.rows : [] };
  } catch (error) {
    if ((error as { code?: string }).code !== LOG_MOVED) throw error;
    return null;
  }
}

/** Fails the transaction, with LOG_MOVED, unless the log still ends at `after`. */
const logStillEndsAt = (client: pg.ClientBase, after: number) =>
  `DO $$ BEGIN IF (${NEWEST_SEQ}) <> ${literal(client, after)} THEN RAISE EXCEPTION 'The log moved on' USING ERRCODE = '${LOG_MOVED}'; END IF; END $$`;

/**
 * Fails the transaction, with LOG_MOVED, when another process has logged a change to one of the
 * write's sessions since its plan began (the plan read them as they were), or a page of entries or
 * more (which the write hands back to be heard before it). Otherwise notes where the log ends.
 */
function untouchedSince(client: pg.ClientBase, { after, writes }: Append): string {
  const ids = [...new Set([...writes.sessions.map((s) => s.id), ...writes.tracked.map((t) => t.sessionId), ...writes.events.map((e) => e.sessionId)])];
  const since = literal(client, after);
  const touched = ids.length ? `EXISTS (SELECT 1 FROM "SessionEvent" WHERE "seq" > ${since} AND "sessionId" IN (${ids.map((id) => literal(client, id)).join(', ')})) OR ` : '';
  return `DO $$ DECLARE log_end integer := (${NEWEST_SEQ}); BEGIN
      IF ${touched}log_end - ${since} >= ${CATCH_UP_PAGE} THEN RAISE EXCEPTION 'The log moved on' USING ERRCODE = '${LOG_MOVED}'; END IF;
      PERFORM set_config('${LOG_END_SETTING}', log_end::text, true);
    END $$`;
}

/** Statements in one round trip (the simple protocol), one result each. */
async function inOneRoundTrip(client: pg.ClientBase, statements: string[]): Promise<pg.QueryResult[]> {
  const results = await client.query(statements.join(';\n'));
  return Array.isArray(results) ? (results as pg.QueryResult[]) : [results];
}

/** The seqs a write's log entries took, in order: what its INSERT returned (the last result but two). */
const seqsOf = (events: NewEvent[], results: pg.QueryResult[]): number[] =>
  events.length ? (results.at(-3)!.rows as { seq: number }[]).map((row) => row.seq).sort((a, b) => a - b) : [];

/** A write's sessions, and their tracking. */
const sessionWrites = (client: pg.ClientBase, writes: Append['writes']): string[] => [...saveSessions(client, writes.sessions), ...setTracked(client, writes.tracked)];

/** A write's log entries, numbered on from `base` (their seqs returned), and the word to the other processes, sent once committed. */
const logWrites = (client: pg.ClientBase, events: NewEvent[], base: string): string[] =>
  events.length ? [appendEvents(client, events, base), `SELECT pg_notify('${LOG_CHANNEL}', (${base} + ${events.length})::text)`] : [];
const PRUNED_THROUGH = `SELECT "value" FROM "StoreMeta" WHERE "key" = '${PRUNED_THROUGH_KEY}'`;
/** How far the log is pruned, from StoreMeta's value (none: not at all). */
const prunedThrough = (value: string | null | undefined) => Number(value ?? 0);

/** The first page of log entries after `after`. */
const entriesSince = (client: pg.ClientBase, after: number) => `SELECT ${LOGGED} FROM "SessionEvent" WHERE "seq" > ${literal(client, after)} ORDER BY "seq" LIMIT ${CATCH_UP_PAGE}`;

/** The first page of log entries after `after`, their sessions, and how far the log is pruned: one round trip. */
async function appendedSince(client: pg.ClientBase, after: number): Promise<Appended> {
  const since = literal(client, after);
  const [entries, sessions, pruned] = await inOneRoundTrip(client, [
    entriesSince(client, after),
    `SELECT * FROM "Session" WHERE "id" IN (SELECT "sessionId" FROM "SessionEvent" WHERE "seq" > ${since} ORDER BY "seq" LIMIT ${CATCH_UP_PAGE})`,
    PRUNED_THROUGH,
  ]);
  return appended(after, (entries!.rows as LoggedRow[]).map(toChange), sessions!.rows, pruned!.rows);
}

/** `entries` appended after `after`, with their sessions and how far the log is pruned: one round trip. */
async function readAppended(client: pg.ClientBase, after: number, entries: LogEntry[]): Promise<Appended> {
  const ids = [...new Set(entries.map((entry) => entry.sessionId))].map((id) => literal(client, id));
  const [sessions, pruned] = await inOneRoundTrip(client, [`SELECT * FROM "Session" WHERE "id" IN (${ids.join(', ')})`, PRUNED_THROUGH]);
  return appended(after, entries, sessions!.rows, pruned!.rows);
}

const appended = (after: number, entries: LogEntry[], sessions: Session[], pruned: { value: string }[]): Appended => ({
  after,
  entries,
  sessions: new Map(sessions.map((session) => [session.id, session])),
  prunedThroughSeq: prunedThrough(pruned[0]?.value),
});

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

/** The events, numbered on from `base` (an SQL expression), and their seqs returned. */
function appendEvents(client: pg.ClientBase, events: NewEvent[], base: string): string {
  const rows = events.map((event, i) => {
    const values = [
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
    ];
    return `(${base} + ${i + 1}, ${values.map((value) => literal(client, value)).join(', ')})`;
  });
  return `INSERT INTO "SessionEvent" (${EVENT_COLUMNS.map(q).join(', ')}) VALUES ${rows.join(', ')} RETURNING "seq"`;
}
