// The AttentionStore contract, held by every implementation: the engine this project runs on
// (SQLite, or PostgreSQL in the api-postgresql project) and the in-memory store the service's own
// tests use, so that what those tests show holds on the real engines too.
import pg from 'pg';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { freshDatabase, ON_POSTGRESQL } from '../../test/helpers.ts';
import { MemoryAttentionStore } from '../../test/memory-store.ts';
import type { Attention } from '../attention/rules.ts';
import { AttentionService } from '../attention/service.ts';
import { type Append, type AttentionStore, type Coordinated, eventKey, type NewEvent } from '../attention/store.ts';
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
    const { seqs } = await store.write({ after: 0, writes: { sessions: [a, b], tracked: [], events: [event('a', 0, { eventId: 'e1' }), event('b', 0, { attention: null })] } }, noReplan);
    expect(seqs).toEqual([1, 2]);
    expect(await store.latestSeq()).toBe(2);
    const { sessions, repeats } = await store.read(['a', 'b', 'c'], [{ sessionId: 'a', eventId: 'e1' }, { sessionId: 'a', eventId: 'e2' }, { sessionId: 'b', eventId: 'e1' }]);
    expect(sessions).toEqual(new Map([['a', a], ['b', b]]));
    expect([...repeats]).toEqual(['a\ne1']);
    expect(await store.trackedSessions()).toEqual([{ session: a, attention: waiting(0) }]);
    // Only entries that changed someone's attention, after the seq given.
    expect(await store.changesAfter(0, 10)).toEqual([{ seq: 1, sessionId: 'a', attention: waiting(0), previousAttention: null, project: 'shop', previousProject: null }]);
    expect(await store.changesAfter(1, 10)).toEqual([]);
    // To catch up with: every entry after the seq given, with its session, and how far the log is pruned.
    expect(await store.appendedAfter(0)).toEqual({
      after: 0,
      entries: [expect.objectContaining({ seq: 1, sessionId: 'a' }), { seq: 2, sessionId: 'b', attention: null, previousAttention: null, project: 'shop', previousProject: null }],
      sessions: new Map([['a', a], ['b', b]]),
      prunedThroughSeq: 0,
    });
    expect(await store.appendedAfter(2)).toEqual({ after: 2, entries: [], sessions: new Map(), prunedThroughSeq: 0 });
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
    expect((await store.appendedAfter(0)).entries.map((e) => e.project)).toEqual(texts);
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
    expect(await store.logged(0, event(nul, 0, { eventId: nul, project: nul }))).toBe(1);
    expect((await store.appendedAfter(0)).entries.map((e) => e.project)).toEqual([kept, 'shop']);
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

  it('a write planned against an older log end, on a session written since, is planned again, and what the new plan says is stored', async () => {
    const store = await open();
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [event('a', 0)] } }, noReplan);
    let replans = 0;
    const { seqs } = await store.write({ after: 0, writes: { sessions: [session('a', 1, { title: 'stale' })], tracked: [], events: [event('a', 1)] } }, async () => {
      replans++;
      return { after: 1, writes: { sessions: [session('b', 1)], tracked: [], events: [event('b', 1)] } };
    });
    expect([replans, seqs]).toEqual([1, [2]]);
    expect((await store.read(['a'], [])).sessions.get('a')?.title).not.toBe('stale');
  });

  it(`a write planned against an older log end, on sessions nobody wrote since, is ${name === 'PostgreSQL' ? 'stored after what was written meanwhile, which it hands back' : 'planned again (nobody else writes here)'}`, async () => {
    const store = await open();
    const meanwhile = session('a', 0);
    await store.write({ after: 0, writes: { sessions: [meanwhile], tracked: [], events: [event('a', 0)] } }, noReplan);
    let replans = 0;
    const write = { after: 0, writes: { sessions: [session('b', 1)], tracked: [], events: [event('b', 1), event('b', 2)] } };
    const stored = await store.write(write, async () => (replans++, { ...write, after: 1 }));
    if (store.shared) {
      expect([replans, stored]).toEqual([0, { seqs: [2, 3], meanwhile: { after: 0, entries: [expect.objectContaining({ seq: 1, sessionId: 'a' })], sessions: new Map([['a', meanwhile]]), prunedThroughSeq: 0 } }]);
    } else {
      expect([replans, stored]).toEqual([1, { seqs: [2, 3] }]);
    }
    expect((await store.appendedAfter(0)).entries.map((e) => [e.seq, e.sessionId])).toEqual([[1, 'a'], [2, 'b'], [3, 'b']]);
  });

  it('tells whether a write whose answer was lost was stored, and where', async () => {
    const store = await open();
    const first = event('a', 0);
    await store.write({ after: 0, writes: { sessions: [session('a', 0), session('b', 0)], tracked: [], events: [event('b', 0), first] } }, noReplan);
    expect(await store.logged(0, first)).toBe(2);
    expect(await store.logged(0, event('a', 3))).toBe(null);
    expect(await store.logged(2, first)).toBe(null);
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
    const { entries, prunedThroughSeq } = await store.appendedAfter(0);
    expect([entries.map((e) => e.seq), prunedThroughSeq]).toEqual([[2, 4], 3]);
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

/**
 * This process's service on a fresh PostgreSQL database, told of the others what `coordinate` (given
 * the store's own) passes on, and another process's on the same database, stopped when the test ends.
 */
async function besideAnother(coordinate: (listeners: Coordinated, real: (listeners: Coordinated) => () => void) => () => void) {
  location = await freshDatabase();
  database = await openDatabase(location);
  const real = database.store.coordinate.bind(database.store);
  vi.spyOn(database.store, 'coordinate').mockImplementation((listeners) => coordinate(listeners, real));
  service = new AttentionService(database.store, timings);
  await service.start();
  opened.push({ close: async () => (await service.stop(), await database.close()) });
  const other = await openDatabase(location);
  const elsewhere = new AttentionService(other.store, timings);
  await elsewhere.start();
  let left: Promise<void> | undefined;
  /** Stops the other process (once), so that nothing it does is counted with this one's. */
  const leave = () => (left ??= elsewhere.stop().then(() => other.close()));
  onTestFinished(async () => {
    vi.restoreAllMocks();
    await leave();
  });
  return { other, elsewhere, leave };
}

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
  it('a process reads nothing when it hears of its own appends, and what another appended in one round trip', async () => {
    // What this process hears of appends from the notifications (its timer's "maybe" left out), handed on when the test says.
    const heard: number[] = [];
    let hear = () => {};
    const heardOf = (seq: number) =>
      new Promise<void>((resolve) => {
        hear = () => heard.includes(seq) && resolve();
        hear();
      });
    let listening!: Coordinated;
    const { elsewhere, leave } = await besideAnother((listeners, coordinate) => {
      listening = listeners;
      return coordinate({
        leading: (leads) => listeners.leading(leads),
        appended: (seq) => {
          if (seq === undefined) return;
          heard.push(seq);
          hear();
        },
      });
    });
    const handOn = () => {
      for (const seq of heard.splice(0)) listening.appended(seq);
      return service.idle();
    };
    const appendedAfter = vi.spyOn(database.store, 'appendedAfter');
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    await service.recordSpeaker({ sessionId: 'here', speaker: 'ASSISTANT' });
    await service.recordSpeaker({ sessionId: 'here', speaker: 'USER' });
    await heardOf(2);
    expect(heard).toEqual([1, 2]);
    await handOn();
    expect(appendedAfter).not.toHaveBeenCalled();
    await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'ASSISTANT' });
    await heardOf(3);
    // The other's timer reads the log too, and this one's coordinating connection renews its lease: neither is the catch-up's.
    await leave();
    queries.mockClear();
    await handOn();
    expect(appendedAfter.mock.calls).toEqual([[2]]);
    // Its entries, their sessions and how far the log is pruned: one query.
    expect(queries.mock.calls.filter(([text]) => /"SessionEvent"|"Session"|"StoreMeta"/.test(String(text)))).toHaveLength(1);
    expect(service.feed().map((item) => item.session.id)).toEqual(['there']);
  });

  it('a stream resuming after a seq the other process just handed out waits to read it, rather than asking to refetch', async () => {
    await startService();
    const other = await openDatabase(location);
    const elsewhere = new AttentionService(other.store, timings);
    await elsewhere.start();
    // This process reads the log only once let: what the other writes is not read here yet.
    let letRead!: () => void;
    const reading = new Promise<void>((resolve) => (letRead = resolve));
    for (const method of ['appendedAfter', 'changesAfter'] as const) {
      const read = database.store[method].bind(database.store) as (...args: unknown[]) => Promise<never>;
      vi.spyOn(database.store, method).mockImplementation(async (...args: unknown[]) => (await reading, read(...args)));
    }
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
  it("a write that no other process preceded goes in one round trip, one that none preceded on its sessions in two: the log's lock is never held across one", async () => {
    const alone = await openDatabase(await freshDatabase());
    opened.push(alone);
    const store = alone.store;
    await store.write({ after: 0, writes: { sessions: [session('a', 0)], tracked: [], events: [event('a', 0)] } }, noReplan);
    const queries = vi.spyOn(pg.Client.prototype, 'query');
    // The round trips of a write: those that take the log's lock, write to it or commit (anything else this process asks meanwhile is not the write's).
    const writeRoundTrips = () => queries.mock.calls.map(([text]) => String(text)).filter((text) => /pg_advisory_xact_lock|INSERT INTO "SessionEvent"|COMMIT/.test(text));
    try {
      expect(await store.write({ after: 1, writes: { sessions: [session('b', 1)], tracked: [], events: [event('b', 1)] } }, noReplan)).toEqual({ seqs: [2] });
      expect(writeRoundTrips()).toHaveLength(1);
      // One that another process preceded, on other sessions: one round trip finds the log moved and writes nothing,
      // the next writes it after what it hands back (whose sessions are read once the lock is let go).
      queries.mockClear();
      const after = await store.write({ after: 1, writes: { sessions: [session('c', 2)], tracked: [], events: [event('c', 2)] } }, noReplan);
      expect(after).toMatchObject({ seqs: [3], meanwhile: { after: 1, entries: [expect.objectContaining({ seq: 2, sessionId: 'b' })], sessions: new Map([['b', session('b', 1)]]) } });
      expect(writeRoundTrips()).toHaveLength(2);
      // One on a session another wrote since finds it out under the lock, writes nothing that way, and goes the long way.
      queries.mockClear();
      let replans = 0;
      const stored = await store.write({ after: 1, writes: { sessions: [session('b', 2, { title: 'stale' })], tracked: [], events: [event('b', 2)] } }, async () => {
        replans++;
        return { after: 3, writes: { sessions: [session('d', 3)], tracked: [], events: [event('d', 3)] } };
      });
      expect([replans, stored]).toEqual([1, { seqs: [4] }]);
      expect(writeRoundTrips().length).toBeGreaterThan(2);
      expect((await store.appendedAfter(0)).entries.map((entry) => entry.sessionId)).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      vi.restoreAllMocks();
    }
  });

  /**
   * Two processes, this one not told of the other's writes (and not leading): its next write finds
   * the log grown by two entries on session "there". What this process hears from then on, and what
   * its store hands its writer when it plans again, are kept.
   */
  async function unawareOfTheOther() {
    const { other, elsewhere } = await besideAnother((listeners) => (listeners.leading(false), () => {}));
    await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'ASSISTANT', title: "It's there" });
    await elsewhere.recordSpeaker({ sessionId: 'there', speaker: 'USER' });
    const followed = service.follow({})[Symbol.asyncIterator]();
    let next = followed.next();
    onTestFinished(async () => {
      await followed.return?.();
    });
    const handed: unknown[] = [];
    const write = database.store.write.bind(database.store);
    vi.spyOn(database.store, 'write').mockImplementation((append, replan) => write(append, (meanwhile) => (handed.push(meanwhile), replan(meanwhile))));
    return {
      other,
      handed,
      /** The next `count` changes this process hears, as `session:reason`. */
      hears: async (count: number) => {
        const heard: string[] = [];
        for (; heard.length < count; next = followed.next()) heard.push(describeChange((await next).value));
        return heard;
      },
      appendedAfter: vi.spyOn(database.store, 'appendedAfter'),
      read: vi.spyOn(database.store, 'read'),
    };
  }

  it('a write on other sessions than another process wrote meanwhile is stored after theirs without planning again, and theirs are handed back and heard first', async () => {
    const { handed, hears, appendedAfter, read } = await unawareOfTheOther();
    const here = await service.recordSpeaker({ sessionId: 'here', speaker: 'ASSISTANT' });
    expect([here.id, handed]).toEqual(['here', []]);
    // What the other process wrote, then this one's, in the log's order.
    expect(await hears(3)).toEqual(['there:AWAITING_REPLY', 'there:left', 'here:AWAITING_REPLY']);
    expect(service.feed().map((item) => item.session.id)).toEqual(['here']);
    expect(service.latestSeq).toBe(3);
    // Read with the write, not again.
    expect(appendedAfter).not.toHaveBeenCalled();
    expect(read.mock.calls.flatMap(([ids]) => ids)).not.toContain('there');
  });

  it('a write whose answer was lost, stored after what another process wrote meanwhile, is answered as stored and heard after theirs', async () => {
    const { hears } = await unawareOfTheOther();
    const stores = database.store.write;
    vi.spyOn(database.store, 'write').mockImplementationOnce(async (append, replan) => {
      await stores(append, replan);
      throw new Error('connection terminated during COMMIT');
    });
    const here = await service.recordSpeaker({ sessionId: 'here', speaker: 'ASSISTANT' });
    expect(here.id).toBe('here');
    expect(await hears(3)).toEqual(['there:AWAITING_REPLY', 'there:left', 'here:AWAITING_REPLY']);
    expect(service.latestSeq).toBe(3);
  });

  it('a write on a session another process wrote meanwhile is handed what it wrote, read with the lock, plans again, and does not read it again', async () => {
    const { other, handed, hears, appendedAfter } = await unawareOfTheOther();
    const stored = (await other.store.read(['there'], [])).sessions.get('there');
    const there = await service.recordSpeaker({ sessionId: 'there', speaker: 'ASSISTANT' });
    expect(handed).toEqual([{ after: 0, entries: [expect.objectContaining({ sessionId: 'there' }), expect.objectContaining({ sessionId: 'there' })], sessions: new Map([['there', stored]]), prunedThroughSeq: 0 }]);
    // What was handed over is what this process caught up with, in the log's order, before its own, planned on it.
    expect(await hears(3)).toEqual(['there:AWAITING_REPLY', 'there:left', 'there:AWAITING_REPLY']);
    expect(there.title).toBe("It's there");
    // What the other process logged was not read again while the lock was held.
    expect(appendedAfter).not.toHaveBeenCalled();
  });

  it('a write on a session another process wrote first plans again while it holds the log, so it never loses twice', async () => {
    let conflicts = 0;
    const observer = { wrote() {}, delivered() {}, replayed() {}, resynced() {}, conflicted: () => conflicts++ };
    await startService({ observer });
    const others = await Promise.all([openDatabase(location), openDatabase(location)]);
    const [b, c] = others.map((opened) => new AttentionService(opened.store, { ...timings, observer }));
    try {
      await Promise.all([b!.start(), c!.start()]);
      // All three write one session, which C starts.
      await c!.recordSpeaker({ sessionId: 's', speaker: 'USER' });
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
      const first = c!.recordSpeaker({ sessionId: 's', speaker: 'ASSISTANT', title: 'C' });
      await held;
      const queued = [service.recordSpeaker({ sessionId: 's', speaker: 'ASSISTANT', title: 'A' }), b!.recordSpeaker({ sessionId: 's', speaker: 'ASSISTANT', title: 'B' })];
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
      const log = (await database.store.appendedAfter(0)).entries;
      expect(log.map((entry) => [entry.seq, entry.sessionId])).toEqual([[1, 's'], [2, 's'], [3, 's'], [4, 's']]);
      // C's first, as it held the lock: the session waits for a reply from then on.
      expect(log.map((entry) => entry.attention?.reason ?? null)).toEqual([null, 'AWAITING_REPLY', 'AWAITING_REPLY', 'AWAITING_REPLY']);
    } finally {
      await Promise.all([b!.stop(), c!.stop()]);
      await Promise.all(others.map((opened) => opened.close()));
    }
  });
});
