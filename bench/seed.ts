// Builds a Lookout database for the benchmarks: FEED_SIZE sessions that need attention, written by
// the real attention service, among `total` sessions with their event history, most of them ended
// or hidden, written in bulk in the store's own format.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AttentionService } from '../api/attention/service.ts';
import { toStored } from '../api/db/dates.ts';
import { migrate, openDatabase } from '../api/db/database.ts';

export const FEED_SIZE = 50;
/** Settings of every Lookout the suite starts: nothing goes stale or expires during a run. */
export const BENCH_ENV = { LOOKOUT_STALE_MINUTES: '100000', LOOKOUT_DONE_MINUTES: '100000', LOOKOUT_ESCALATE_MINUTES: '100000', LOOKOUT_RETENTION_DAYS: '365' };
const DAY = 24 * 60 * 60_000;
const EVENTS_PER_OLD_SESSION = 3;

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
  const start = Date.now() - 200 * DAY;
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = toStored(new Date(start + (i / count) * 199 * DAY));
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

async function addFeed(file: string): Promise<void> {
  const database = await openDatabase(file);
  const service = new AttentionService(database.store, { staleAfterMs: 1e12, doneForMs: 1e12, retentionMs: 365 * DAY });
  await service.start();
  for (let i = 0; i < FEED_SIZE; i++) {
    const sessionId = `live-${i}`;
    const details = { agent: 'claude-code', title: `Task ${i}: make the build green`, project: `project-${i % 7}`, cwd: `/home/dev/project-${i % 7}`, branch: 'main', host: 'bench-host' };
    await service.report({ sessionId }, [
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
  await migrate(file);
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
