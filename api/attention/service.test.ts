// The service's behaviour over the in-memory store (its contract is held by the engines' stores
// too: api/db/attention-store.test.ts, which also has the tests that need a real engine).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAttentionStore } from '../../test/memory-store.ts';
import { SessionNotFoundError } from './errors.ts';
import { AttentionService } from './service.ts';
import type { FeedEvent } from './vocabulary.ts';

const minute = 60_000;
const timings = { staleAfterMs: 30 * minute, doneForMs: 10 * minute, retentionMs: 30 * 24 * 60 * minute };

let store: MemoryAttentionStore;
let service: AttentionService;

async function startService(options: Partial<ConstructorParameters<typeof AttentionService>[1]> = {}) {
  store = new MemoryAttentionStore();
  service = new AttentionService(store, { ...timings, ...options });
  await service.start();
}

afterEach(async () => {
  vi.useRealTimers();
  await service.stop();
});

/** Moves the fake clock, then waits until what fell due is stored. */
async function advance(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  await service.idle();
}

function describeChange(event: FeedEvent): string {
  return event.kind === 'resync' ? 'resync' : `${event.session.id}:${event.attention?.reason ?? 'left'}`;
}

describe('time-driven changes, on fake timers', () => {
  it('done expires, stale begins and a snooze ends exactly when due, with one timer and no polling', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date('2026-11-25T09:00:00Z') });
    await startService();
    const stream = service.follow({})[Symbol.asyncIterator]();
    // A stream starts listening when it is first read, as graphql-ws does at once.
    let pending = stream.next();
    const next = async () => {
      const result = await pending;
      pending = stream.next();
      return describeChange(result.value);
    };

    await service.recordSpeaker({ sessionId: 'ended', speaker: 'USER' });
    await service.closeSession({ sessionId: 'ended', closedBy: 'AUTO' });
    expect(await next()).toBe('ended:DONE');
    await service.recordActivity({ sessionId: (await service.recordSpeaker({ sessionId: 'busy', speaker: 'USER' })).id, state: 'WORKING' });
    await service.recordSpeaker({ sessionId: 'asked', speaker: 'ASSISTANT' });
    expect(await next()).toBe('asked:AWAITING_REPLY');
    await service.snooze('asked', new Date(Date.now() + 15 * minute));
    expect(await next()).toBe('asked:left');
    expect(vi.getTimerCount()).toBe(1);

    await advance(10 * minute - 1);
    expect(service.feed().map((i) => i.session.id)).toEqual(['ended']);
    await advance(1);
    expect(await next()).toBe('ended:left');

    await advance(5 * minute);
    expect(await next()).toBe('asked:AWAITING_REPLY');

    await advance(15 * minute);
    expect(await next()).toBe('busy:STALE');
    expect(service.feed().map((i) => `${i.session.id}:${i.attention.reason}`)).toEqual(['asked:AWAITING_REPLY', 'busy:STALE']);
    // Nothing is left to change by time alone until a new event: no timer at all.
    expect(vi.getTimerCount()).toBe(0);
    await stream.return?.();
  });

  it('a new event pushes stale back', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date('2026-11-25T09:00:00Z') });
    await startService();
    await service.recordSpeaker({ sessionId: 'busy', speaker: 'USER' });
    await service.recordActivity({ sessionId: 'busy', state: 'WORKING' });
    await advance(20 * minute);
    await service.recordActivity({ sessionId: 'busy', state: 'WORKING' });
    await advance(20 * minute);
    expect(service.feed()).toEqual([]);
    await advance(10 * minute);
    expect(service.feed().map((i) => i.attention.reason)).toEqual(['STALE']);
  });
});

describe('escalation, on fake timers', () => {
  it("each owner's own escalation time: once per wait, again after a new wait; a change of time applies at once; 0 never", async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date('2026-11-25T09:00:00Z') });
    const own = new Map<string, number | null>([['ana', 5 * minute]]);
    await startService({ escalateAfterMs: 10 * minute, escalateAfterMsOf: (person) => own.get(person) ?? null });
    const escalated = () => service.feed().map((i) => `${i.session.id}:${i.attention.escalatedAt ? 'escalated' : 'not yet'}`);
    const wait = async (sessionId: string) =>
      service.recordActivity({ sessionId, state: 'WAITING', waitReason: 'PERMISSION' }, sessionId === 'ana-1' ? { person: 'ana', admin: false } : undefined);
    await service.recordSpeaker({ sessionId: 'ana-1', speaker: 'USER' }, { person: 'ana', admin: false });
    await service.recordSpeaker({ sessionId: 'bo-1', speaker: 'USER' });
    await wait('ana-1');
    await wait('bo-1');

    await advance(5 * minute);
    expect(escalated()).toEqual(['ana-1:escalated', 'bo-1:not yet']);
    await advance(5 * minute);
    expect(escalated()).toEqual(['ana-1:escalated', 'bo-1:escalated']);
    // Once per wait: nothing more to time for either of them.
    expect(vi.getTimerCount()).toBe(0);

    // A new wait starts over, on ana's time.
    await service.recordActivity({ sessionId: 'ana-1', state: 'WORKING' }, { person: 'ana', admin: false });
    await wait('ana-1');
    await advance(5 * minute - 1);
    expect(escalated()).toContain('ana-1:not yet');
    // ana says never: it stays as it is, and no timer runs for it.
    own.set('ana', 0);
    await service.reconsider();
    await advance(60 * minute);
    expect(escalated()).toContain('ana-1:not yet');
    // ana says 1 minute: it has waited longer than that, so it is escalated now.
    own.set('ana', minute);
    await service.reconsider();
    expect(escalated()).toContain('ana-1:escalated');
  });
});

describe('keeping up with other processes', () => {
  it('is lagging only when behind the log for longer than a catch-up takes', async () => {
    await startService();
    await service.recordSpeaker({ sessionId: 'a', speaker: 'ASSISTANT' });
    const end = service.latestSeq;
    expect(service.lagging(end, Date.now() + 60_000)).toBe(0);
    expect(service.lagging(end + 3)).toBe(0);
    expect(service.lagging(end + 3, Date.now() + 60_000)).toBe(3);
  });
});

describe('a subscriber that stops reading', () => {
  it('holds a bounded queue, then gets one resync and the changes after it', async () => {
    await startService({ subscriberBuffer: 8 });
    const stream = service.follow({})[Symbol.asyncIterator]();
    const reading = stream.next(); // listening from now on
    await service.recordSpeaker({ sessionId: 's0', speaker: 'ASSISTANT' });
    const first = await reading; // then it stops reading
    expect(describeChange(first.value)).toBe('s0:AWAITING_REPLY');
    for (let i = 1; i <= 30; i++) await service.recordSpeaker({ sessionId: `s${i}`, speaker: 'ASSISTANT' });

    const seen: FeedEvent[] = [];
    let pending = stream.next();
    for (;;) {
      const result = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 200))]);
      if (!result || result.done) break;
      seen.push(result.value);
      pending = stream.next();
    }
    // The queue overflowed at 8 and collapsed into one resync that covers every change so far.
    expect(seen).toEqual([expect.objectContaining({ kind: 'resync', latestSeq: 31 })]);
    // And it goes on live afterwards.
    await service.recordSpeaker({ sessionId: 'late', speaker: 'ASSISTANT' });
    expect(describeChange((await pending).value)).toBe('late:AWAITING_REPLY');
    await stream.return?.();
  });

  it('ending a stream that waits for changes stops listening at once', async () => {
    await startService();
    const stream = service.follow({})[Symbol.asyncIterator]();
    const pending = stream.next();
    await stream.return?.();
    await expect(pending).resolves.toMatchObject({ done: true });
    await service.recordSpeaker({ sessionId: 'a', speaker: 'ASSISTANT' }); // nobody listens; nothing breaks
  });

  it('a stream ended before it was read stays ended, and never listens', async () => {
    await startService();
    const listeners = () => (service as unknown as { subscribers: Set<unknown> }).subscribers.size;
    const stream = service.follow({})[Symbol.asyncIterator]();
    await stream.return?.();
    await service.recordSpeaker({ sessionId: 'a', speaker: 'ASSISTANT' });
    await expect(stream.next()).resolves.toMatchObject({ done: true });
    expect(listeners()).toBe(0);
  });
});

describe('history retention', () => {
  it('prunes old entries but keeps each session\'s newest, and a replay from before them asks to resync', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-10-01T09:00:00Z') });
    await startService({ retentionMs: 24 * 60 * minute });
    await service.recordSpeaker({ sessionId: 'old', speaker: 'ASSISTANT' });
    await service.recordSpeaker({ sessionId: 'old', speaker: 'USER' });
    await service.recordSpeaker({ sessionId: 'old', speaker: 'ASSISTANT' });
    await service.stop();
    vi.setSystemTime(new Date('2026-10-03T09:00:00Z'));
    service = new AttentionService(store, { ...timings, retentionMs: 24 * 60 * minute });
    await service.start(); // prunes at start
    expect(store.entries().map((e) => e.seq)).toEqual([3]);
    expect(service.feed().map((i) => i.attention.reason)).toEqual(['AWAITING_REPLY']);

    const stream = service.follow({}, 1)[Symbol.asyncIterator]();
    expect((await stream.next()).value).toMatchObject({ kind: 'resync', latestSeq: 3 });
    await stream.return?.();
    const fromKept = service.follow({}, 2)[Symbol.asyncIterator]();
    await service.recordSpeaker({ sessionId: 'old', speaker: 'USER' });
    expect((await fromKept.next()).value).toMatchObject({ kind: 'change', seq: 3 });
    await fromKept.return?.();
  });
});

describe('reports that arrive together', () => {
  it('are written together, each acknowledged with its own result, in the order they came', async () => {
    await startService();
    const seen: string[] = [];
    const stream = service.follow({})[Symbol.asyncIterator]();
    let reading = stream.next();
    const reports = Array.from({ length: 40 }, (_, i) => service.recordSpeaker({ sessionId: `s${i % 10}`, speaker: i < 10 || i >= 30 ? 'ASSISTANT' : 'USER', eventId: `e${i}` }));
    // One that fails (unknown session) and a repeat of an event id within the same batch.
    const failing = service.recordActivity({ sessionId: 'nobody', state: 'WORKING' });
    const repeat = service.recordSpeaker({ sessionId: 's0', speaker: 'USER', eventId: 'e0' });
    const sessions = await Promise.all(reports);
    await expect(failing).rejects.toThrow(SessionNotFoundError);
    expect((await repeat).lastSpeaker).toBe('ASSISTANT');

    expect(sessions.map((s) => s.lastSpeaker)).toEqual(Array.from({ length: 40 }, (_, i) => (i < 10 || i >= 30 ? 'ASSISTANT' : 'USER')));
    expect(store.entries().map((e) => e.eventId)).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    expect(service.latestSeq).toBe(40);
    while (seen.length < 20) {
      const { value } = await reading;
      seen.push(describeChange(value));
      reading = stream.next();
    }
    // Each session entered (first ten), left (next twenty, two each) ... in seq order.
    expect(seen.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}:AWAITING_REPLY`));
    expect(seen.slice(10, 20)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}:left`));
    await stream.return?.();
  });
});

describe('a database that fails under a write', () => {
  it('answers every write: one that could not be made is refused; one whose answer was lost but that was stored is answered as stored', async () => {
    let conflicts = 0;
    await startService({ observer: { wrote() {}, delivered() {}, replayed() {}, resynced() {}, conflicted: () => conflicts++ } });
    // Another process "wrote first", and the log then cannot be read: the write is refused, not left unanswered.
    const write = vi.spyOn(store, 'write').mockImplementationOnce(async (_append, replan) => (await replan(), { seqs: [] }));
    const read = vi.spyOn(store, 'appendedAfter').mockRejectedValueOnce(new Error('connection terminated'));
    await expect(service.recordSpeaker({ sessionId: 'refused', speaker: 'USER' })).rejects.toThrow(/connection terminated/);
    expect(conflicts).toBe(1);
    read.mockRestore();
    // The commit happens, then its answer is lost: answered as stored, once.
    write.mockRestore();
    const real = store.write.bind(store);
    const lost = vi.spyOn(store, 'write').mockImplementationOnce(async (append, replan) => {
      await real(append, replan);
      throw new Error('connection terminated during COMMIT');
    });
    const stored = await service.recordSpeaker({ sessionId: 'stored', speaker: 'ASSISTANT' });
    expect(stored.id).toBe('stored');
    expect(service.feed().map((item) => item.session.id)).toEqual(['stored']);
    // Not stored, and the database cannot say: the write says its outcome is unknown.
    lost.mockRejectedValueOnce(new Error('connection terminated'));
    const logged = vi.spyOn(store, 'logged').mockRejectedValueOnce(new Error('still down'));
    await expect(service.recordSpeaker({ sessionId: 'unknown', speaker: 'ASSISTANT' })).rejects.toThrow(/may or may not be stored/);
    logged.mockRestore();
    lost.mockRestore();
    // And it goes on.
    await service.recordSpeaker({ sessionId: 'after', speaker: 'ASSISTANT' });
    expect(service.feed().map((item) => item.session.id).sort()).toEqual(['after', 'stored']);
  });
});

