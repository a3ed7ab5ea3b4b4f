import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase } from '../../test/helpers.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { AttentionService, type FeedEvent } from './service.ts';

const minute = 60_000;
const timings = { staleAfterMs: 30 * minute, doneForMs: 10 * minute, retentionMs: 30 * 24 * 60 * minute };

let db: Db;
let service: AttentionService;

async function startService(options: Partial<ConstructorParameters<typeof AttentionService>[1]> = {}) {
  db = await openDatabase(await freshDatabase());
  service = new AttentionService(db, { ...timings, ...options });
  await service.start();
}

afterEach(async () => {
  vi.useRealTimers();
  await service.stop();
  await db.$disconnect();
});

function describeChange(event: FeedEvent): string {
  return event.kind === 'resync' ? 'resync' : `${event.session.id}:${event.attention?.reason ?? 'left'}`;
}

describe('time-driven changes, on fake timers', () => {
  it('done expires, stale begins and a snooze ends exactly when due, with one timer and no polling', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date('2026-11-25T09:00:00Z') });
    await startService();
    const stream = service.changes({})[Symbol.asyncIterator]();
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

    await vi.advanceTimersByTimeAsync(10 * minute - 1);
    expect(service.feed().map((i) => i.session.id)).toEqual(['ended']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await next()).toBe('ended:left');

    await vi.advanceTimersByTimeAsync(5 * minute);
    expect(await next()).toBe('asked:AWAITING_REPLY');

    await vi.advanceTimersByTimeAsync(15 * minute);
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
    await vi.advanceTimersByTimeAsync(20 * minute);
    await service.recordActivity({ sessionId: 'busy', state: 'WORKING' });
    await vi.advanceTimersByTimeAsync(20 * minute);
    expect(service.feed()).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * minute);
    expect(service.feed().map((i) => i.attention.reason)).toEqual(['STALE']);
  });
});

describe('a subscriber that stops reading', () => {
  it('holds a bounded queue, then gets one resync and the changes after it', async () => {
    await startService({ subscriberBuffer: 8 });
    const stream = service.changes({})[Symbol.asyncIterator]();
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
    const stream = service.changes({})[Symbol.asyncIterator]();
    const pending = stream.next();
    await stream.return?.();
    await expect(pending).resolves.toMatchObject({ done: true });
    await service.recordSpeaker({ sessionId: 'a', speaker: 'ASSISTANT' }); // nobody listens; nothing breaks
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
    service = new AttentionService(db, { ...timings, retentionMs: 24 * 60 * minute });
    await service.start(); // prunes at start
    const events = await db.sessionEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.seq)).toEqual([3]);
    expect(service.feed().map((i) => i.attention.reason)).toEqual(['AWAITING_REPLY']);

    const stream = service.changes({}, 1)[Symbol.asyncIterator]();
    expect((await stream.next()).value).toMatchObject({ kind: 'resync', latestSeq: 3 });
    await stream.return?.();
    const fromKept = service.changes({}, 2)[Symbol.asyncIterator]();
    await service.recordSpeaker({ sessionId: 'old', speaker: 'USER' });
    expect((await fromKept.next()).value).toMatchObject({ kind: 'change', seq: 3 });
    await fromKept.return?.();
  });
});
