// The attention store on PostgreSQL, shared by any number of Lookout processes. The event log is
// their outbox: appends are serialised by a transaction-scoped advisory lock, so seqs commit in
// order and a reader tailing `seq > last` never skips one that commits later; each append notifies
// the others (pg_notify, sent on commit), who also poll, in case a notification was missed. One
// process at a time leads (applies time-driven changes and prunes): whoever holds a session-level
// advisory lock, which PostgreSQL lets go when that process's connection ends, however it ends.
import type pg from 'pg';
import { type Append, type AttentionStore, eventKey, type LogEntry, type NewEvent, type WriteReads } from '../attention/store.ts';
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

/** PostgreSQL takes at most 65,535 parameters a statement: rows go in statements of at most this many parameters. */
const MAX_PARAMETERS = 30_000;

/** `rows` in consecutive chunks that each fit in one statement of `width` parameters a row. */
function chunks<T>(rows: T[], width: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / width));
  return Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
}

/** `($1, $2, …), ($n+1, …)` for `rows` rows of `width` parameters. */
function placeholders(rows: number, width: number): string {
  return Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
}

// Times go over the wire as UTC ISO strings into `timestamp` columns (which keep UTC, as Prisma does).
const wire = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

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
    const sessions = new Map<string, Session>();
    if (sessionIds.length) {
      const { rows } = await this.pool.query<Session>('SELECT * FROM "Session" WHERE "id" = ANY($1::text[])', [sessionIds]);
      for (const row of rows) sessions.set(row.id, row);
    }
    const repeats = new Set<string>();
    if (events.length) {
      const { rows } = await this.pool.query<{ sessionId: string; eventId: string }>(
        `SELECT e."sessionId", e."eventId" FROM "SessionEvent" e JOIN unnest($1::text[], $2::text[]) AS r("sessionId", "eventId")
           ON e."sessionId" = r."sessionId" AND e."eventId" = r."eventId"`,
        [events.map((e) => e.sessionId), events.map((e) => e.eventId)],
      );
      for (const row of rows) repeats.add(eventKey(row.sessionId, row.eventId));
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

  async write(append: Append, replan: () => Promise<Append>): Promise<number[]> {
    return withConnection(this.pool, async (client) => {
      try {
        // One round trip: the transaction, the log's lock and where the log ends (the simple protocol
        // takes several statements at once; there is nothing to bind). The lock is held until COMMIT:
        // no other process appends meanwhile, so these seqs commit in order, and a write planned
        // again while it is held cannot find the log grown once more.
        const opened = (await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOG_LOCK}); ${NEWEST_SEQ}`)) as unknown as pg.QueryResult<{ seq: number }>[];
        let newest = opened.at(-1)!.rows[0]!.seq;
        while (newest !== append.after) {
          append = await replan();
          newest = await newestSeq(client);
        }
        const { after, writes } = append;
        await saveSessions(client, writes.sessions);
        if (writes.tracked.length) {
          await client.query(
            `UPDATE "Session" s SET "tracked" = u."tracked", "updatedAt" = u."at"
               FROM unnest($1::text[], $2::boolean[], $3::timestamp[]) AS u("id", "tracked", "at") WHERE s."id" = u."id"`,
            [writes.tracked.map((t) => t.sessionId), writes.tracked.map((t) => t.tracked), writes.tracked.map((t) => t.at.toISOString())],
          );
        }
        const seqs = writes.events.map((_, i) => after + i + 1);
        if (writes.events.length) await appendEvents(client, writes.events, after);
        // The other processes hear of the new entries once they are committed: one round trip for both.
        await client.query(writes.events.length ? `SELECT pg_notify('${LOG_CHANNEL}', '${seqs.at(-1)}'); COMMIT` : 'COMMIT');
        return seqs;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async logged(after: number, event: NewEvent): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM "SessionEvent" WHERE "seq" = $1 AND "sessionId" = $2 AND "kind" = $3 AND "recordedAt" = $4', [
      after + 1,
      event.sessionId,
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
    const { rows } = await this.pool.query<{ value: string }>('SELECT "value" FROM "StoreMeta" WHERE "key" = $1', [PRUNED_THROUGH_KEY]);
    return Number(rows[0]?.value ?? 0);
  }

  coordinate(listeners: { appended(): void; leading(leads: boolean): void }): () => void {
    return this.coordinator.follow(listeners);
  }
}

const NEWEST_SEQ = 'SELECT COALESCE(MAX("seq"), 0) AS seq FROM "SessionEvent"';

async function newestSeq(client: pg.Pool | pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ seq: number }>(NEWEST_SEQ);
  return rows[0]!.seq;
}

async function saveSessions(client: pg.ClientBase, sessions: Session[]): Promise<void> {
  // One row per session (a batch may change one twice: its last state is the one to keep).
  const latest = [...new Map(sessions.map((session) => [session.id, session])).values()];
  const updates = SESSION_COLUMNS.filter((c) => c !== 'id' && c !== 'createdAt').map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
  for (const chunk of chunks(latest, SESSION_COLUMNS.length)) {
    await client.query(
      `INSERT INTO "Session" (${SESSION_COLUMNS.map(q).join(', ')}) VALUES ${placeholders(chunk.length, SESSION_COLUMNS.length)}
       ON CONFLICT ("id") DO UPDATE SET ${updates.join(', ')}`,
      chunk.flatMap((session) => SESSION_COLUMNS.map((column) => wire(session[column]))),
    );
  }
}

async function appendEvents(client: pg.ClientBase, events: NewEvent[], after: number): Promise<void> {
  const numbered = events.map((event, i) => ({ event, seq: after + i + 1 }));
  for (const chunk of chunks(numbered, EVENT_COLUMNS.length)) {
    const values = chunk.flatMap(({ event, seq }) => [
      seq,
      event.sessionId,
      event.kind,
      event.eventId,
      event.at.toISOString(),
      event.recordedAt.toISOString(),
      JSON.stringify(event.input),
      attentionToJson(event.attention),
      attentionToJson(event.previousAttention),
      event.project,
      event.previousProject,
    ]);
    await client.query(`INSERT INTO "SessionEvent" (${EVENT_COLUMNS.map(q).join(', ')}) VALUES ${placeholders(chunk.length, EVENT_COLUMNS.length)}`, values);
  }
}
