// Builds a Lookout database for the benchmarks: FEED_SIZE sessions that need attention, written by
// the real attention service, among `total` sessions with their event history, most of them ended
// or hidden, written in bulk in the store's own format.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AttentionService } from '../api/attention/service.ts';
import { toStored } from '../api/db/dates.ts';
import { openDatabase } from '../api/db/database.ts';
import { migrateSqlite } from '../api/db/sqlite.ts';
import { migratePostgresql } from '../api/db/postgresql.ts';

export const FEED_SIZE = 50;
/** Settings of every Lookout the suite starts: nothing goes stale or expires during a run. */
export const BENCH_ENV = { LOOKOUT_DRAIN_SECONDS: '0', LOOKOUT_STALE_MINUTES: '100000', LOOKOUT_DONE_MINUTES: '100000', LOOKOUT_ESCALATE_MINUTES: '100000', LOOKOUT_RETENTION_DAYS: '365' };
const DAY = 24 * 60 * 60_000;
const EVENTS_PER_OLD_SESSION = 3;
const HISTORY_SPAN = 199 * DAY;
/**
 * Every seeding in a run stamps the same times, whatever its engine or speed: the feed's sessions
 * one second apart up to an hour before the run began, the history spread over the 200 days before.
 * (The feed orders by time, so times stamped by each seeding's own clock could tie on one engine and
 * not on the other.)
 */
const SEEDED_UNTIL = Math.floor(Date.now() / 1000) * 1000 - 60 * 60_000;
const HISTORY_FROM = SEEDED_UNTIL - 200 * DAY;
const feedTime = (i: number) => new Date(SEEDED_UNTIL - (FEED_SIZE - i) * 1000);
/** The i-th of `count` old sessions' time, in whole milliseconds (the same sum in SQL). */
const historyTime = (i: number, count: number) => new Date(HISTORY_FROM + Math.floor((i * HISTORY_SPAN) / count));

function insertHistory(file: string, count: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const insertSession = db.prepare(`INSERT INTO Session
    (id, agent, title, project, cwd, branch, host, state, stateAt, activityAt, lastSpeaker, lastSpeakerAt, lastEventAt,
     closedBy, closedAt, hidden, tracked, createdAt, updatedAt)
    VALUES (@id, 'claude-code', @title, @project, @cwd, 'main', 'bench-host', @state, @at, @at, 'ASSISTANT', @at, @at,
     @closedBy, @closedAt, @hidden, 0, @at, @at)`);
  const insertEvent = db.prepare(`INSERT INTO SessionEvent (sessionId, kind, at, recordedAt, input, attention, previousAttention)
    VALUES (?, ?, ?, ?, ?, NULL, NULL)`);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = toStored(historyTime(i, count));
      const hidden = i % 5 === 0;
      const id = `old-${i}`;
      insertSession.run({
        id,
        title: `Old task ${i}`,
        project: `project-${i % 40}`,
        cwd: `/home/dev/project-${i % 40}`,
        state: hidden ? 'IDLE' : 'ENDED',
        at,
        closedBy: hidden ? null : 'USER',
        closedAt: hidden ? null : at,
        hidden: hidden ? 1 : 0,
      });
      const kinds = ['REGISTER', 'SPEAKER', hidden ? 'HIDE' : 'CLOSE'];
      for (let e = 0; e < EVENTS_PER_OLD_SESSION; e++) insertEvent.run(id, kinds[e], at, at, '{}');
    }
  })();
  db.close();
}

async function addFeed(location: string): Promise<void> {
  const database = await openDatabase(location);
  const service = new AttentionService(database.store, { staleAfterMs: 1e12, doneForMs: 1e12, retentionMs: 365 * DAY });
  await service.start();
  for (let i = 0; i < FEED_SIZE; i++) {
    const sessionId = `live-${i}`;
    const details = { agent: 'claude-code', title: `Task ${i}: make the build green`, project: `project-${i % 7}`, cwd: `/home/dev/project-${i % 7}`, branch: 'main', host: 'bench-host' };
    await service.report({ sessionId, at: feedTime(i) }, [
      { kind: 'register', details },
      i % 2
        ? { kind: 'activity', activity: { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: `Bash: npm run deploy -- --stage ${i}` } }
        : { kind: 'speaker', speaker: 'ASSISTANT' },
    ]);
  }
  if (service.feed().length !== FEED_SIZE) throw new Error(`Seeding made a feed of ${service.feed().length}, not ${FEED_SIZE}`);
  await service.stop();
  await database.close();
}

/** A migrated database with `total` sessions, FEED_SIZE of them in the feed; built once per size. */
export async function seededDatabase(dir: string, total: number): Promise<string> {
  const file = path.join(dir, `seed-${total}.db`);
  await migrateSqlite(file);
  insertHistory(file, total - FEED_SIZE);
  await addFeed(file);
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

/** A private copy for a measurement that writes. */
export async function copyOf(file: string, name: string): Promise<string> {
  const target = path.join(path.dirname(file), name);
  await copyFile(file, target);
  return target;
}

/**
 * The same database on PostgreSQL: `total` sessions, FEED_SIZE in the feed, in a new database on
 * `server` (dropped by `dropBenchDatabases`).
 */
export async function seededPostgresql(server: string, total: number): Promise<string> {
  const url = new URL(server);
  const name = `lookout_bench_${process.pid}_${total}`;
  await adminQuery(server, `CREATE DATABASE "${name}"`);
  url.pathname = `/${name}`;
  const database = url.toString();
  await migratePostgresql(database);
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    // The history insertHistory writes, in one statement per table.
    const count = total - FEED_SIZE;
    const from = new Date(HISTORY_FROM).toISOString().replace('T', ' ').replace('Z', '');
    const at = `(TIMESTAMP '${from}' + ((i::bigint * ${HISTORY_SPAN}) / ${count}) * INTERVAL '1 millisecond')`;
    await client.query(`INSERT INTO "Session" ("id", "agent", "title", "project", "cwd", "branch", "host", "state", "stateAt", "activityAt",
        "lastSpeaker", "lastSpeakerAt", "lastEventAt", "closedBy", "closedAt", "hidden", "tracked", "createdAt", "updatedAt")
      SELECT 'old-' || i, 'claude-code', 'Old task ' || i, 'project-' || (i % 40), '/home/dev/project-' || (i % 40), 'main', 'bench-host',
        CASE WHEN i % 5 = 0 THEN 'IDLE' ELSE 'ENDED' END::"AgentState", ${at}, ${at}, 'ASSISTANT', ${at}, ${at},
        CASE WHEN i % 5 = 0 THEN NULL ELSE 'USER' END::"ClosedBy", CASE WHEN i % 5 = 0 THEN NULL ELSE ${at} END, i % 5 = 0, false, ${at}, ${at}
      FROM generate_series(0, ${count - 1}) AS i`);
    await client.query(`INSERT INTO "SessionEvent" ("seq", "sessionId", "kind", "at", "recordedAt", "input")
      SELECT i * 3 + e + 1, 'old-' || i, (ARRAY['REGISTER', 'SPEAKER', CASE WHEN i % 5 = 0 THEN 'HIDE' ELSE 'CLOSE' END])[e + 1]::"SessionEventKind", ${at}, ${at}, '{}'
      FROM generate_series(0, ${count - 1}) AS i, generate_series(0, 2) AS e`);
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  await addFeed(database);
  return database;
}

/** Drops every database this run made on `server`. */
export async function dropBenchDatabases(server: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE datname LIKE 'lookout_bench_${process.pid}_%'`);
    for (const { name } of rows) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A private copy of a seeded PostgreSQL database, for a measurement that writes. */
export async function copyOfPostgresql(server: string, database: string, name: string): Promise<string> {
  const source = new URL(database).pathname.slice(1);
  const target = `lookout_bench_${process.pid}_${name}`;
  await adminQuery(server, `CREATE DATABASE "${target}" TEMPLATE "${source}"`);
  const url = new URL(server);
  url.pathname = `/${target}`;
  return url.toString();
}

async function adminQuery(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
