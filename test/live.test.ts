import { afterEach, describe, expect, it } from 'vitest';
import { collect, FEED, FEED_EVENT, RECORD_ACTIVITY, RECORD_SPEAKER, nothingMoreThan, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const speak = (sessionId: string, speaker: 'USER' | 'ASSISTANT', extra: Record<string, unknown> = {}) =>
  server.gql(RECORD_SPEAKER, { input: { sessionId, speaker, ...extra } });
const act = (sessionId: string, state: string, extra: Record<string, unknown> = {}) =>
  server.gql(RECORD_ACTIVITY, { input: { sessionId, state, ...extra } });

describe('attentionChanged over graphql-ws', () => {
  it('a mutation over HTTP produces exactly one event for a subscriber', async () => {
    server = await startServer();
    const feed = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 1);
    await speak('s1', 'ASSISTANT', { project: 'lookout' });
    const [event] = await feed.next(1);
    expect(event.attentionChanged).toMatchObject({
      __typename: 'AttentionChange',
      session: { id: 's1', project: 'lookout' },
      attention: { tier: 'NEEDS_YOU', reason: 'AWAITING_REPLY' },
      previous: null,
    });
    await nothingMoreThan(feed, 1, 'marker', () => speak('marker', 'ASSISTANT'));
  });

  it('tells when a session leaves the feed, and stays quiet about sessions that are not in it', async () => {
    server = await startServer();
    const feed = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 1);
    await speak('s1', 'ASSISTANT');
    await speak('s2', 'USER'); // not in the feed: no event
    await act('s2', 'WORKING');
    await speak('s1', 'USER'); // the human replied: s1 leaves
    const events = await feed.next(2);
    expect(events.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention?.reason ?? null, e.attentionChanged.previous?.reason ?? null])).toEqual([
      ['s1', 'AWAITING_REPLY', null],
      ['s1', null, 'AWAITING_REPLY'],
    ]);
    await nothingMoreThan(feed, 2, 'marker', () => speak('marker', 'ASSISTANT'));
  });

  it('replays every change after a seq, then goes on live, with no gap and no duplicate', async () => {
    server = await startServer();
    await speak('a', 'ASSISTANT');
    const first = collect(server.wsClient(), FEED_EVENT, { after: 0 });
    const [{ attentionChanged: firstChange }] = await first.next(1);
    first.unsubscribe();

    // While "disconnected": three more changes.
    await speak('b', 'USER');
    await act('b', 'WAITING', { waitReason: 'PERMISSION', waitDetail: 'Bash: npm publish' });
    await speak('c', 'ASSISTANT');
    await speak('a', 'USER');

    const resumed = collect(server.wsClient(), FEED_EVENT, { after: firstChange.seq });
    const replayed = await resumed.next(3);
    await speak('d', 'ASSISTANT'); // live, after the replay
    const all = await resumed.next(4);
    const seqs = all.map((e) => e.attentionChanged.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(all.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention?.reason ?? null])).toEqual([
      ['b', 'WAITING'],
      ['c', 'AWAITING_REPLY'],
      ['a', null],
      ['d', 'AWAITING_REPLY'],
    ]);
    expect(replayed[0].attentionChanged.seq).toBeGreaterThan(firstChange.seq);
    await nothingMoreThan(resumed, 4, 'marker', () => speak('marker', 'ASSISTANT'));
  });

  it('changes made while the replay is read are delivered once', async () => {
    server = await startServer();
    for (let i = 0; i < 30; i++) await speak(`s${i}`, 'ASSISTANT');
    const feed = collect(server.wsClient(), FEED_EVENT, { after: 0 });
    const writes = Array.from({ length: 30 }, (_, i) => speak(`t${i}`, 'ASSISTANT'));
    await Promise.all(writes);
    const events = await feed.next(60);
    const ids = events.map((e) => e.attentionChanged.session.id);
    expect(new Set(ids).size).toBe(60);
    await nothingMoreThan(feed, 60, 'marker', () => speak('marker', 'ASSISTANT'));
  });

  it('filters by project and by tier, and still reports a session leaving that tier', async () => {
    server = await startServer({ LOOKOUT_DONE_MINUTES: '10' });
    const feed = collect(server.wsClient(), FEED_EVENT, { project: 'api', minTier: 'NEEDS_YOU' });
    await subscribersListening(server, 1);
    await speak('other', 'ASSISTANT', { project: 'web' });
    await speak('mine', 'USER', { project: 'api' });
    await act('mine', 'WAITING', { waitReason: 'QUESTION', waitDetail: 'Which database?' });
    await server.gql(`mutation { closeSession(input: {sessionId: "mine", closedBy: AUTO}) { __typename } }`); // WAITING -> DONE (in focus)
    const events = await feed.next(2);
    expect(events.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention?.reason, e.attentionChanged.previous?.reason ?? null])).toEqual([
      ['mine', 'WAITING', null],
      ['mine', 'DONE', 'WAITING'],
    ]);
    await nothingMoreThan(feed, 2, 'marker', () => speak('marker', 'ASSISTANT', { project: 'api' }));
  });

  it('a project\'s subscriber gets the same changes live and replayed, and hears a session leave the project', async () => {
    server = await startServer();
    const live = collect(server.wsClient(), FEED_EVENT, { project: 'api' });
    await subscribersListening(server, 1);
    await speak('s1', 'ASSISTANT', { project: 'api' }); // enters api's feed
    await act('s1', 'WAITING', { waitReason: 'QUESTION', waitDetail: 'Which database?' });
    await speak('s1', 'ASSISTANT', { project: 'web' }); // moves to web: it leaves api's feed
    await speak('s2', 'ASSISTANT', { project: 'web' }); // not api's
    await speak('s2', 'ASSISTANT', { project: 'api' }); // moves to api: it enters api's feed
    const seen = (events: any[]) =>
      events.map(({ attentionChanged: e }) => [e.seq, e.session.id, e.attention?.reason ?? null, e.previous?.reason ?? null]);
    const expected = [
      [expect.any(Number), 's1', 'AWAITING_REPLY', null],
      [expect.any(Number), 's1', 'WAITING', 'AWAITING_REPLY'],
      [expect.any(Number), 's1', null, 'WAITING'],
      [expect.any(Number), 's2', 'AWAITING_REPLY', null],
    ];
    const liveEvents = seen(await live.next(4));
    expect(liveEvents).toEqual(expected);
    const resumed = collect(server.wsClient(), FEED_EVENT, { project: 'api', after: 0 });
    expect(seen(await resumed.next(4))).toEqual(liveEvents);
    // And after a restart, from the file alone.
    const database = server.database;
    await server.stop();
    server = await startServer({}, { database });
    const afterRestart = collect(server.wsClient(), FEED_EVENT, { project: 'api', after: 0 });
    expect(seen(await afterRestart.next(4))).toEqual(liveEvents);
    await subscribersListening(server, 1);
    expect(afterRestart.received).toHaveLength(4);
  });

  it('asks to refetch when the replay starts before what is kept, or after the log ends', async () => {
    server = await startServer();
    await speak('a', 'ASSISTANT');
    const ahead = collect(server.wsClient(), FEED_EVENT, { after: 999 });
    const [{ attentionChanged }] = await ahead.next(1);
    expect(attentionChanged).toMatchObject({ __typename: 'FeedResyncRequired', latestSeq: 1 });
    await speak('b', 'ASSISTANT'); // and it goes on live
    const [, next] = await ahead.next(2);
    expect(next.attentionChanged.session.id).toBe('b');
  });
});

describe('time-driven changes', () => {
  it('reach subscribers when they fall due, with no write', async () => {
    // Done lasts 0.6 s; stale begins after 0.9 s of silence.
    server = await startServer({ LOOKOUT_DONE_MINUTES: '0.01', LOOKOUT_STALE_MINUTES: '0.015' });
    const feed = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 1);
    await speak('ended', 'USER');
    await server.gql(`mutation { closeSession(input: {sessionId: "ended", closedBy: AUTO}) { __typename } }`);
    await speak('busy', 'USER');
    await act('busy', 'WORKING');
    const events = await feed.next(3, 5_000);
    expect(events.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention?.reason ?? null])).toEqual([
      ['ended', 'DONE'],
      ['ended', null],
      ['busy', 'STALE'],
    ]);
    const { data } = await server.gql(FEED);
    expect(data.attentionSessions.edges.map((e: any) => e.node.attention.reason)).toEqual(['STALE']);
  });

  it('a snooze ends on time', async () => {
    server = await startServer();
    await speak('s', 'ASSISTANT');
    const until = new Date(Date.now() + 800).toISOString();
    const snoozed = await server.gql(`mutation($until: DateTime!) { snoozeSession(sessionId: "s", until: $until) { __typename } }`, { until });
    expect(snoozed.data.snoozeSession.__typename).toBe('MutationSnoozeSessionSuccess');
    expect((await server.gql(FEED)).data.attentionSummary.total).toBe(0);
    const feed = collect(server.wsClient(), FEED_EVENT);
    const [event] = await feed.next(1, 3_000);
    expect(event.attentionChanged).toMatchObject({ session: { id: 's' }, attention: { reason: 'AWAITING_REPLY' } });
    expect((await server.gql(FEED)).data.attentionSummary.total).toBe(1);
  });

  it('subscribers with different resume points and selections each get their own answer to a change', async () => {
    server = await startServer();
    await speak('a', 'USER');
    await speak('a', 'ASSISTANT');
    const WITH_EVENTS = `subscription($n: Int) { attentionChanged { ... on AttentionChange { seq session { id events(first: $n) { edges { node { kind } } } } } } }`;
    const resumed = collect(server.wsClient(), FEED_EVENT, { after: 1 });
    const live = collect(server.wsClient(), FEED_EVENT);
    const oneEvent = collect(server.wsClient(), WITH_EVENTS, { n: 1 });
    const threeEvents = collect(server.wsClient(), WITH_EVENTS, { n: 3 });
    const [replayed] = await resumed.next(1);
    expect(replayed.attentionChanged).toMatchObject({ seq: 2, attention: { reason: 'AWAITING_REPLY' } });
    await subscribersListening(server, 4);
    await speak('a', 'USER');
    const [, change] = await resumed.next(2);
    const [liveChange] = await live.next(1);
    expect(change).toEqual(liveChange);
    expect(liveChange.attentionChanged).toMatchObject({ seq: 3, session: { id: 'a' }, attention: null, previous: { reason: 'AWAITING_REPLY' } });
    const kinds = (event: any) => event.attentionChanged.session.events.edges.map((e: any) => e.node.kind);
    expect(kinds((await oneEvent.next(1))[0])).toEqual(['SPEAKER']);
    expect(kinds((await threeEvents.next(1))[0])).toEqual(['SPEAKER', 'SPEAKER', 'SPEAKER']);
  });
});

describe('escalation', () => {
  it('a need that drags on is escalated by the timer and pushed live, once per reason', async () => {
    server = await startServer({ LOOKOUT_ESCALATE_MINUTES: '0.01' });
    const changes = collect(server.wsClient(), `subscription { attentionChanged { ... on AttentionChange { session { id } attention { reason escalated escalatedAt } previous { escalated } } } }`);
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'slow', speaker: 'USER', title: 'Deploy' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'slow', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: make deploy' } });
    const [entered, escalated] = (await changes.next(2)).map((c: any) => c.attentionChanged);
    expect(entered).toMatchObject({ session: { id: 'slow' }, attention: { reason: 'WAITING', escalated: false, escalatedAt: null } });
    expect(escalated).toMatchObject({ session: { id: 'slow' }, attention: { reason: 'WAITING', escalated: true }, previous: { escalated: false } });
    const { data } = await server.gql(`{ session(id: "slow") { attention { escalated escalatedAt since } } }`);
    expect(new Date(data.session.attention.escalatedAt).getTime() - new Date(data.session.attention.since).getTime()).toBe(600);
    // Once per wait: nothing more while it keeps waiting; a new reason starts over.
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'slow', speaker: 'ASSISTANT' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'slow', state: 'IDLE' } });
    const after = (await changes.next(5)).slice(2).map((c: any) => [c.attentionChanged.attention.reason, c.attentionChanged.attention.escalated]);
    expect(after).toEqual([
      ['WAITING', true], // the assistant spoke: still waiting, still escalated, not again
      ['AWAITING_REPLY', false], // a new reason starts over
      ['AWAITING_REPLY', true],
    ]);
  });
});
