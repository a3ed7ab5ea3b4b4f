// The AttentionStore contract, held by every implementation: the engine this project runs on
// (SQLite, or PostgreSQL in the api-postgresql project) and the in-memory store the service's own
// tests use, so that what those tests show holds on the real engines too.
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase, ON_POSTGRESQL } from '../../test/helpers.ts';
import { MemoryAttentionStore } from '../../test/memory-store.ts';
import type { Attention } from '../attention/rules.ts';
import { AttentionService } from '../attention/service.ts';
import { type Append, type AttentionStore, eventKey, type NewEvent } from '../attention/store.ts';
import { newSession } from '../attention/transitions.ts';
import type { Session } from '../generated/prisma/client.ts';
import { openDatabase } from './database.ts';
import type { OpenedDatabase } from './opened-database.ts';

const T0 = new Date('2026-12-01T09:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const session = (id: string, minutes: number, extra: Partial<Session> = {}): Session => ({
  ...newSession(id, at(minutes)),
  project: 'shop',
  title: `Session ${id}`,
  tracked: true,
  createdAt: at(minutes),
  updatedAt: at(minutes),
  ...extra,
});

const waiting = (minutes: number): Attention => ({ tier: 'NEEDS_YOU', reason: 'WAITING', label: 'Waiting for permission', detail: 'Bash: npm publish', since: at(minutes), escalatedAt: null });

const event = (sessionId: string, minutes: number, extra: Partial<NewEvent> = {}): NewEvent => ({
  sessionId,
  kind: 'SPEAKER',
  eventId: null,
  at: at(minutes),
  recordedAt: at(minutes),
  input: { speaker: 'ASSISTANT' },
  attention: waiting(minutes),
  previousAttention: null,
  project: 'shop',
  previousProject: null,
  ...extra,
});

const noReplan = async (): Promise<Append> => {
  throw new Error('planned again though nobody else wrote');
};

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const engine = ON_POSTGRESQL ? 'PostgreSQL' : 'SQLite';
const stores: [string, () => Promise<AttentionStore>][] = [
  [
    engine,
    async () => {
      const database = await openDatabase(await freshDatabase());
      opened.push(database);
      return database.store;
    },
  ],
  ['memory', async () => new MemoryAttentionStore()],
];

describe.each(stores)('the attention store on %s', (name, open) => {
  it('starts empty', async () => {
    const store = await open();
    expect(await store.latestSeq()).toBe(0);
    expect(await store.prunedThroughSeq()).toBe(0);
    expect(await store.trackedSessions()).toEqual([]);
    expect(await store.read(['nobody'], [{ sessionId: 'nobody', eventId: 'e1' }])).toEqual({ sessions: new Map(), repeats: new Set() });
  });

  it('stores a write whole: sessions read back as written, events numbered in order after the log end', async () => {
    const store = await open();
    const a = session('a', 0, { waitReason: 'PERMISSION', waitDetail: 'Bash: npm publish', hidden: false, seenAt: at(1) });
    const b = session('b', 0, { tracked: false });
    const seqs = await store.write({ after: 0, writes: { sessions: [a, b], tracked: [], events: [event('a', 0, { eventId: 'e1' }), event('b', 0, { attention: null })] } }, noReplan);
    expect(seqs).toEqual([1, 2]);
    expect(await store.latestSeq()).toBe(2);
    const { sessions, repeats } = await store.read(['a', 'b', 'c'], [{ sessionId: 'a', eventId: 'e1' }, { sessionId: 'a', eventId: 'e2' }, { sessionId: 'b', eventId: 'e1' }]);
    expect(sessions).toEqual(new Map([['a', a], ['b', b]]));
    expect([...repeats]).toEqual(['a\ne1']);
    expect(await store.trackedSessions()).toEqual([{ session: a, attention: waiting(0) }]);
    // Only entries that changed someone's attention, unless all are asked for; at most `limit`.
    expect(await store.changesAfter(0, 10)).toEqual([{ seq: 1, sessionId: 'a', attention: waiting(0), previousAttention: null, project: 'shop', previousProject: null }]);
    expect((await store.changesAfter(0, 10, true)).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.changesAfter(0, 1, true)).map((e) => e.seq)).toEqual([1]);
    expect(await store.changesAfter(2, 10, true)).toEqual([]);
  });

  it('stores any text exactly as given: quotes, backslashes, dollar quotes and statement ends are text, never SQL', async () => {
    const store = await open();
    const texts = [`it's`, `a \\ b \\' c`, `E'\\x41'`, `$$; DROP TABLE "Session"; --`, `'); COMMIT; DELETE FROM "SessionEvent"; --`, `😀 ünïcödé\n\ttab`, `\\`];
    const sessions = texts.map((text, i) => session(`s${i}`, 0, { title: text, waitDetail: text, lastMessage: text }));
    const events = texts.map((text, i) => event(`s${i}`, 0, { eventId: text, input: { text }, project: text }));
    await store.write({ after: 0, writes: { sessions, tracked: [], events } }, noReplan);
    const read = await store.read(sessions.map((s) => s.id), texts.map((text, i) => ({ sessionId: `s${i}`, eventId: text })));
    expect([...read.sessions.values()]).toEqual(sessions);
    expect(read.repeats.size).toBe(texts.length);
    expect((await store.changesAfter(0, 100, true)).map((e) => e.project)).toEqual(texts);
    expect(await store.latestSeq()).toBe(texts.length);
  });

  it('a NUL character in one session\'s report fails nothing written with it, and is found again by what was asked', async () => {
    const store = await open();
    // PostgreSQL's text cannot hold one (it keeps U+FFFD instead); SQLite's keeps it.
    const nul = 'a\u0000b';
    const kept = name === 'PostgreSQL' ? 'a\uFFFDb' : nul;
    const odd = session(nul, 0, { title: nul, waitDetail: nul });
    const plain = session('plain', 0);
    await store.write({ after: 0, writes: { sessions: [odd, plain], tracked: [], events: [event(nul, 0, { eventId: nul, project: nul }), event('plain', 0)] } }, noReplan);
    const read = await store.read([nul, 'plain'], [{ sessionId: nul, eventId: nul }]);
    expect(read.sessions.get('plain')).toEqual(plain);
    expect(read.sessions.get(nul)).toMatchObject({ id: nul, title: kept, waitDetail: kept });
    expect([...read.repeats]).toEqual([eventKey(nul, nul)]);
    expect(await store.logged(0, event(nul, 0, { eventId: nul, project: nul }))).toBe(true);
    expect((await store.changesAfter(0, 10, true)).map((e) => e.project)).toEqual([kept, 'shop']);
  });

  it('keeps a session\'s creation time when it is saved again, and sets tracked flags', async () => {
    const store = await open();
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [event('a', 0)] } }, noReplan);
    await store.write({ after: 1, writes: { sessions: [session('a', 5, { title: 'Renamed' })], tracked: [], events: [event('a', 5)] } }, noReplan);
    expect((await store.read(['a'], [])).sessions.get('a')).toMatchObject({ title: 'Renamed', createdAt: at(0), updatedAt: at(5) });
    await store.write({ after: 2, writes: { sessions: [], tracked: [{ sessionId: 'a', tracked: false, at: at(9) }], events: [] } }, noReplan);
    expect((await store.read(['a'], [])).sessions.get('a')).toMatchObject({ tracked: false, updatedAt: at(9) });
    expect(await store.trackedSessions()).toEqual([]);
  });

  it('a write planned against an older log end is planned again, and what the new plan says is stored', async () => {
    const store = await open();
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [event('a', 0)] } }, noReplan);
    let replans = 0;
    const seqs = await store.write({ after: 0, writes: { sessions: [session('stale', 1)], tracked: [], events: [event('stale', 1)] } }, async () => {
      replans++;
      return { after: 1, writes: { sessions: [session('b', 1)], tracked: [], events: [event('b', 1)] } };
    });
    expect([replans, seqs]).toEqual([1, [2]]);
    expect([...(await store.read(['stale', 'b'], [])).sessions.keys()]).toEqual(['b']);
  });

  it('tells whether a write whose answer was lost was stored', async () => {
    const store = await open();
    const first = event('a', 0);
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [first] } }, noReplan);
    expect(await store.logged(0, first)).toBe(true);
    expect(await store.logged(0, event('a', 3))).toBe(false);
    expect(await store.logged(1, first)).toBe(false);
  });

  it('prunes entries older than the cutoff but each session\'s newest, and remembers how far', async () => {
    const store = await open();
    await store.write(
      { after: 0, writes: { sessions: [session('a', 0), session('b', 0)], tracked: [], events: [event('a', 0), event('b', 1), event('a', 2), event('a', 30)] } },
      noReplan,
    );
    expect(await store.prune(at(10), 0)).toBe(3);
    expect(await store.prunedThroughSeq()).toBe(3);
    // a's newest (30) and b's only entry stay.
    expect((await store.changesAfter(0, 10, true)).map((e) => e.seq)).toEqual([2, 4]);
    expect(await store.prune(at(10), 3)).toBe(3);
    expect(await store.latestSeq()).toBe(4);
  });
});

// The service over the real engine: what only a database can show.
const minute = 60_000;
const timings = { staleAfterMs: 30 * minute, doneForMs: 10 * minute, retentionMs: 30 * 24 * 60 * minute };
let location: string;
let database: OpenedDatabase;
let service: AttentionService;

async function startService(options: Partial<ConstructorParameters<typeof AttentionService>[1]> = {}) {
  location = await freshDatabase();
  database = await openDatabase(location);
  opened.push({ close: async () => (await service.stop(), await database.close()) });
  service = new AttentionService(database.store, { ...timings, ...options });
  await service.start();
}

const describeChange = (event: { kind: string; session?: { id: string }; attention?: { reason: string } | null }) =>
  event.kind === 'resync' ? 'resync' : `${event.session!.id}:${event.attention?.reason ?? 'left'}`;

describe(`the service on ${engine}`, () => {
  it('are stored exactly as Prisma reads them back', async () => {
    await startService();
    await service.registerSession({ sessionId: 'full', agent: 'claude-code', title: 'Ship it', project: 'lookout', cwd: '/src/lookout', branch: 'main', host: 'box', link: 'vscode://x' });
    await service.reportWorktree({ sessionId: 'full', uncommittedFiles: 3 });
    await service.recordActivity({ sessionId: 'full', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: rm -rf dist' });
    await service.snooze('full', new Date(Date.now() + 60_000));
    const written = await service.markSeen('full');
    const read = await database.db.session.findUniqueOrThrow({ where: { id: 'full' } });
    expect(read).toEqual(written);
    expect((await database.store.read(['full'], [])).sessions.get('full')).toEqual(written);
  });
});

describe(`the service on ${engine}, with a member's odd text`, () => {
  it('writes the others of a batch when one report holds a NUL character, and that one too', async () => {
    await startService();
    // Accepted in one turn: written in one transaction.
    const [odd, plain] = await Promise.all([
      service.recordSpeaker({ sessionId: 'odd', speaker: 'ASSISTANT', title: 'a\u0000b' }),
      service.recordSpeaker({ sessionId: 'plain', speaker: 'ASSISTANT', title: 'Plain' }),
    ]);
    expect([odd.title, plain.title]).toEqual(['a\u0000b', 'Plain']);
    expect(service.latestSeq).toBe(2);
    expect((await database.store.read(['plain'], [])).sessions.get('plain')).toMatchObject({ title: 'Plain' });
  });
});

describe.runIf(ON_POSTGRESQL)('two processes on one log', () => {
  it('a stream resuming after a seq the other process just handed out waits to read it, rather than asking to refetch', async () => {
    await startService();
    const other = await openDatabase(location);
    const elsewhere = new AttentionService(other.store, timings);
    await elsewhere.start();
    // This process reads the log only once let: what the other writes is not read here yet.
    let letRead!: () => void;
    const reading = new Promise<void>((resolve) => (letRead = resolve));
    const read = database.store.changesAfter.bind(database.store);
    vi.spyOn(database.store, 'changesAfter').mockImplementation(async (...args) => (await reading, read(...args)));
    try {
      await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'ASSISTANT' });
      const handedOut = elsewhere.latestSeq;
      expect(service.latestSeq).toBeLessThan(handedOut);
      const stream = service.follow({}, handedOut)[Symbol.asyncIterator]();
      const first = stream.next();
      await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'USER' });
      letRead();
      expect(describeChange((await first).value)).toBe('there:left');
      await stream.return?.();
    } finally {
      vi.restoreAllMocks();
      await elsewhere.stop();
      await other.close();
    }
  });
});

describe.runIf(ON_POSTGRESQL)('processes writing at once on PostgreSQL', () => {
  it("a write that no other process preceded goes in one round trip: the log's lock is never held across one", async () => {
    const alone = await openDatabase(await freshDatabase());
    opened.push(alone);
    const store = alone.store;
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [event('a', 0)] } }, noReplan);
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    // The round trips of a write: those that take the log's lock, write to it or commit (anything else this process asks meanwhile is not the write's).
    const writeRoundTrips = () => queries.mock.calls.map(([text]) => String(text)).filter((text) => /pg_advisory_xact_lock|INSERT INTO "SessionEvent"|COMMIT/.test(text));
    try {
      expect(await store.write({ after: 1, writes: { sessions: [session('b', 1)], tracked: [], events: [event('b', 1)] } }, noReplan)).toEqual([2]);
      expect(writeRoundTrips()).toHaveLength(1);
      // One that another process preceded finds it out under the lock, writes nothing that way, and goes the long way.
      queries.mockClear();
      let replans = 0;
      const seqs = await store.write({ after: 1, writes: { sessions: [session('stale', 2)], tracked: [], events: [event('stale', 2)] } }, async () => {
        replans++;
        return { after: 2, writes: { sessions: [session('c', 2)], tracked: [], events: [event('c', 2)] } };
      });
      expect([replans, seqs]).toEqual([1, [3]]);
      expect((await store.changesAfter(0, 10, true)).map((entry) => entry.sessionId)).toEqual(['a', 'b', 'c']);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('a write that finds another process wrote first is handed what it wrote, read with the lock, and does not read it again', async () => {
    location = await freshDatabase();
    database = await openDatabase(location);
    // This process is not told of the other's writes (and does not lead): its next write finds the log grown.
    vi.spyOn(database.store, 'coordinate').mockImplementation((listeners) => (listeners.leading(false), () => {}));
    service = new AttentionService(database.store, timings);
    await service.start();
    opened.push({ close: async () => (await service.stop(), await database.close()) });
    const other = await openDatabase(location);
    const elsewhere = new AttentionService(other.store, timings);
    await elsewhere.start();
    try {
      await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'ASSISTANT', title: "It's there" });
      await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'USER' });
      const handed: unknown[] = [];
      const write = database.store.write.bind(database.store);
      vi.spyOn(database.store, 'write').mockImplementation((append, replan) => write(append, (meanwhile) => (handed.push(meanwhile), replan(meanwhile))));
      const changesAfter = vi.spyOn(database.store, 'changesAfter');
      const read = vi.spyOn(database.store, 'read');
      const followed = service.follow({})[Symbol.asyncIterator]();
      const first = followed.next();

      const here = await service.recordSpeaker({ sessionId: 'here', speaker: 'ASSISTANT' });
      const stored = (await other.store.read(['there'], [])).sessions.get('there');
      expect(handed).toEqual([{ after: 0, entries: [expect.objectContaining({ sessionId: 'there' }), expect.objectContaining({ sessionId: 'there' })], sessions: new Map([['there', stored]]), prunedThroughSeq: 0 }]);
      // What was handed over is what this process caught up with, in the log's order, before its own.
      const heard = [(await first).value, (await followed.next()).value, (await followed.next()).value];
      expect(heard.map(describeChange)).toEqual(['there:AWAITING_REPLY', 'there:left', 'here:AWAITING_REPLY']);
      expect(service.feed().map((item) => item.session.id)).toEqual(['here']);
      expect(here.id).toBe('here');
      // What the other process wrote was not read again while the lock was held.
      expect(changesAfter).not.toHaveBeenCalled();
      expect(read.mock.calls.flatMap(([ids]) => ids)).not.toContain('there');
      await followed.return?.();
    } finally {
      vi.restoreAllMocks();
      await elsewhere.stop();
      await other.close();
    }
  });

  it('a write that finds another process wrote first plans again while it holds the log, so it never loses twice', async () => {
    let conflicts = 0;
    const observer = { wrote() {}, delivered() {}, replayed() {}, resynced() {}, conflicted: () => conflicts++ };
    await startService({ observer });
    const others = await Promise.all([openDatabase(location), openDatabase(location)]);
    const [b, c] = others.map((opened) => new AttentionService(opened.store, { ...timings, observer }));
    try {
      await Promise.all([b!.start(), c!.start()]);
      // C holds the log's lock (it is told the log grew, and its plan waits) while A and B plan and queue for the lock.
      let holding!: () => void;
      let letGo!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const go = new Promise<void>((resolve) => (letGo = resolve));
      const real = others[1]!.store.write.bind(others[1]!.store);
      vi.spyOn(others[1]!.store, 'write').mockImplementationOnce((append) =>
        real({ ...append, after: -1 }, async () => {
          holding();
          await go;
          return append;
        }),
      );
      const first = c!.recordSpeaker({ sessionId: 'c', speaker: 'ASSISTANT' });
      await held;
      const queued = [service.recordSpeaker({ sessionId: 'a', speaker: 'ASSISTANT' }), b!.recordSpeaker({ sessionId: 'b', speaker: 'ASSISTANT' })];
      // Both wait for the lock (a transaction's advisory lock not yet granted, in this database).
      const watcher = new pg.Client({ connectionString: location });
      await watcher.connect();
      const waiting = async () =>
        (
          await watcher.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows[0]!.n;
      while ((await waiting()) < 2);
      await watcher.end();
      conflicts = 0;
      letGo();
      await Promise.all([first, ...queued]);
      // A and B each found the log grown once, and each was stored at its second plan.
      expect(conflicts).toBe(2);
      const log = await database.store.changesAfter(0, 10, true);
      expect(log.map((entry) => entry.seq)).toEqual([1, 2, 3]);
      expect(log[0]!.sessionId).toBe('c');
      expect(log.map((entry) => entry.sessionId).sort()).toEqual(['a', 'b', 'c']);
    } finally {
      await Promise.all([b!.stop(), c!.stop()]);
      await Promise.all(others.map((opened) => opened.close()));
    }
  });
});
