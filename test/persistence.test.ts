import { afterEach, describe, expect, it } from 'vitest';
import { collect, FEED, FEED_EVENT, nothingMoreThan, RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
afterEach(() => server?.stop());

describe('persistence', () => {
  it('a restart on the same file shows the same feed, and the log goes on from where it was', async () => {
    server = await startServer();
    const { database } = server;
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'a', speaker: 'ASSISTANT', project: 'web', title: 'Refactor' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'b', speaker: 'USER', project: 'api' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'b', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: rm -rf dist' } });
    await server.gql(`mutation { reportWorktree(input: {sessionId: "a", uncommittedFiles: 3}) { __typename } }`);
    const before = (await server.gql(FEED)).data;
    expect(before.attentionSummary).toEqual({ needsYou: 2, inFocus: 0, total: 2 });
    await server.stop();

    server = await startServer({}, { database });
    const after = (await server.gql(FEED)).data;
    expect(after).toEqual(before);
    // A subscriber resuming from the last seq before the restart misses nothing and gets nothing twice.
    const feed = collect(server.wsClient(), FEED_EVENT, { after: 4 });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'b', speaker: 'USER' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'b', state: 'WORKING' } });
    // The reply changes a session shown in the feed (an event), then working takes it out (another).
    const events = await feed.next(2);
    expect(events.map((e) => [e.attentionChanged.seq, e.attentionChanged.attention?.reason ?? null, e.attentionChanged.previous?.reason])).toEqual([
      [5, 'WAITING', 'WAITING'],
      [6, null, 'WAITING'],
    ]);
    await nothingMoreThan(feed, 2, 'marker', () => server!.gql(RECORD_SPEAKER, { input: { sessionId: 'marker', speaker: 'ASSISTANT' } }));
  });

  it('time-driven changes that fell due while Lookout was down are applied at start and can be replayed', async () => {
    // Nothing falls due while the first process runs; for the second, everything is already due at its start.
    server = await startServer({ LOOKOUT_DONE_MINUTES: '10', LOOKOUT_STALE_MINUTES: '10' });
    const { database } = server;
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'ended', speaker: 'USER' } });
    await server.gql(`mutation { closeSession(input: {sessionId: "ended", closedBy: AUTO}) { __typename } }`);
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'ended', state: 'WORKING', at: new Date(Date.now() - 60_000).toISOString() } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'busy', speaker: 'USER' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'busy', state: 'WORKING' } });
    expect((await server.gql(FEED)).data.attentionSessions.edges.map((e: any) => e.node.id)).toEqual(['ended']);
    const lastSeq = 5;
    await server.stop();

    server = await startServer({ LOOKOUT_DONE_MINUTES: '0.0001', LOOKOUT_STALE_MINUTES: '0.0001' }, { database });
    const feed = (await server.gql(FEED)).data;
    expect(feed.attentionSessions.edges.map((e: any) => [e.node.id, e.node.attention.reason])).toEqual([['busy', 'STALE']]);
    const replay = collect(server.wsClient(), FEED_EVENT, { after: lastSeq });
    const events = await replay.next(2);
    expect(events.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention?.reason ?? null]).sort()).toEqual([
      ['busy', 'STALE'],
      ['ended', null],
    ]);
  });
});
