import { describe, expect, it } from 'vitest';
import { daysOf, Insights, InsightsRangeError } from './insights.ts';
import type { InsightsStore, StoredWait } from './store.ts';
import type { LoggedEntry } from './waits.ts';

const iso = (d: Date) => d.toISOString();

describe('the days of a range, in a time zone', () => {
  it.each([
    {
      name: 'Paris in winter: days begin at 23:00 UTC',
      from: '2026-11-29T23:00:00Z',
      to: '2026-12-01T23:00:00Z',
      zone: 'Europe/Paris',
      days: [
        ['2026-11-30', '2026-11-29T23:00:00.000Z', '2026-11-30T23:00:00.000Z'],
        ['2026-12-01', '2026-11-30T23:00:00.000Z', '2026-12-01T23:00:00.000Z'],
      ],
    },
    {
      name: 'the day the clocks go forward is 23 hours long',
      from: '2026-03-28T23:00:00Z',
      to: '2026-03-30T22:00:00Z',
      zone: 'Europe/Paris',
      days: [
        ['2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
        ['2026-03-30', '2026-03-29T22:00:00.000Z', '2026-03-30T22:00:00.000Z'],
      ],
    },
    {
      name: 'a range that starts mid-day is cut to it; New York is behind UTC',
      from: '2026-12-07T15:00:00Z',
      to: '2026-12-08T10:00:00Z',
      zone: 'America/New_York',
      days: [
        ['2026-12-07', '2026-12-07T15:00:00.000Z', '2026-12-08T05:00:00.000Z'],
        ['2026-12-08', '2026-12-08T05:00:00.000Z', '2026-12-08T10:00:00.000Z'],
      ],
    },
  ])('$name', ({ from, to, zone, days }) => {
    expect(daysOf(new Date(from), new Date(to), zone).map((d) => [d.day, iso(d.start), iso(d.end)])).toEqual(days);
  });

  it('refuses what cannot be asked', () => {
    const at = new Date('2026-12-07T00:00:00Z');
    expect(() => daysOf(at, new Date(at.getTime() + 86_400_000), 'Nowhere/Else')).toThrow(InsightsRangeError);
    expect(() => daysOf(at, at, 'UTC')).toThrow(/empty/);
    expect(() => daysOf(at, new Date(at.getTime() + 93 * 86_400_000), 'UTC')).toThrow(/92 days/);
  });
});

describe('figures asked again', () => {
  /** A store whose log never grows (or grows when told), counting the aggregates it is asked for. */
  function countingStore() {
    const state = { seq: 10, queries: 0 };
    const store: InsightsStore = {
      indexedThrough: async () => state.seq,
      entriesAfter: async () => [],
      openWaits: async () => [],
      saveWaits: async () => true,
      figures: async () => (state.queries++, new Map()),
      days: async () => [],
      endings: async () => new Map(),
      blockers: async () => [],
      waits: async () => [],
      prune: async () => {},
    };
    return { store, state };
  }

  it('are answered as computed while nothing new was read, and computed again once something was', async () => {
    const { store, state } = countingStore();
    const insights = new Insights(store, { leads: () => true, retentionMs: 1e12 });
    const week = [new Date('2026-11-30T00:00:00Z'), new Date('2026-12-07T00:00:00Z')] as const;
    await Promise.all([insights.figures('alice', ...week, 'UTC'), insights.figures('alice', ...week, 'UTC')]);
    expect(state.queries).toBe(5);
    await insights.figures('bob', ...week, 'UTC');
    expect(state.queries).toBe(10);
    state.seq = 11;
    await insights.figures('alice', ...week, 'UTC');
    expect(state.queries).toBe(15);
    // The team's figures and those of a person who happens to be called "team", or "null", are never one another's.
    await insights.figures(null, ...week, 'UTC');
    await insights.figures('team', ...week, 'UTC');
    await insights.figures('null', ...week, 'UTC');
    expect(state.queries).toBe(30);
  });
});

describe('waits kept as long as the log', () => {
  it('are pruned at the end of the catch-up that read in one ended before the retention, not an hour later', async () => {
    const DAY = 24 * 60 * 60_000;
    const log: LoggedEntry[] = [];
    const prunes: Date[] = [];
    let indexed = 0;
    const stored: StoredWait[] = [];
    const store: InsightsStore = {
      indexedThrough: async () => indexed,
      entriesAfter: async (seq) => log.filter((e) => e.seq > seq),
      openWaits: async () => stored.filter((w) => !w.endedAt),
      saveWaits: async (_from, to, began, changed) => {
        for (const wait of began) stored.push({ ...wait, id: stored.length + 1 });
        for (const wait of changed) stored[wait.id - 1] = wait;
        indexed = to;
        return true;
      },
      figures: async () => new Map(),
      days: async () => [],
      endings: async () => new Map(),
      blockers: async () => [],
      waits: async () => [],
      prune: async (cutoff) => void prunes.push(cutoff),
    };
    const insights = new Insights(store, { leads: () => true, retentionMs: DAY });
    const entry = (seq: number, at: Date, attention: LoggedEntry['attention'], input: Record<string, unknown>): LoggedEntry => ({
      seq, sessionId: 'long-ago', kind: 'ACTIVITY', at, input, attention, project: null, owner: 'alice', agent: 'claude-code',
    });
    const asked = new Date(Date.now() - 3 * DAY);
    // The first catch-up prunes (as the timer's first run does), before the old wait has ended.
    const prompt = { state: 'WAITING', waitReason: 'PERMISSION', permission: { id: 'r1', tool: 'Bash', kind: 'PERMISSION', input: 'make deploy', agentId: null } };
    log.push(entry(1, asked, { tier: 'NEEDS_YOU', reason: 'WAITING', label: 'Waiting for permission', detail: null, since: asked, escalatedAt: null }, prompt));
    await insights.catchUp();
    expect(prunes).toHaveLength(1);
    // Its end is read in next: three days ago, past the day kept.
    log.push(entry(2, new Date(asked.getTime() + 60_000), null, { state: 'WORKING', toolCall: { tool: 'Bash', input: {} }, toolOutcome: 'RAN' }));
    await insights.catchUp();
    expect(prunes).toHaveLength(2);
    // Nothing old read in: no prune until the hour is up.
    await insights.catchUp();
    expect(prunes).toHaveLength(2);
  });
});
