// GET /metrics: Prometheus's text format, behind the token, counting what the server really did.
import { afterEach, describe, expect, it } from 'vitest';
import { askPermission, collect, FEED, FEED_EVENT, RECORD_SPEAKER, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${server.token}` }) {
  const res = await fetch(server.url.replace(/\/graphql$/, '/metrics'), { headers });
  const text = await res.text();
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { status: res.status, type: res.headers.get('content-type'), value };
}

describe('/metrics', () => {
  it('needs the token, and counts operations, hooks, kept feed answers, writes, deliveries, subscribers, lag and leadership', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'sesame' });
    expect((await scrape({})).status).toBe(401);

    const feed = collect(server.wsClient(), FEED_EVENT, {});
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'a', speaker: 'ASSISTANT' } });
    await askPermission(server, 'b', 'npm publish');
    await feed.next(2);
    // The same feed query twice, with no change between: executed once, then answered from memory.
    await server.gql(FEED);
    await server.gql(FEED);
    await server.gql('query Broken { nothingHere }');

    const { status, type, value } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value('lookout_graphql_operations_total{operation="Speak",type="mutation",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="Feed",type="subscription",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="Feed",type="query",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="Broken",type="query",outcome="invalid"}')).toBe(1);
    expect(value('lookout_feed_answers_total{source="executed"}')).toBe(1);
    expect(value('lookout_feed_answers_total{source="memory"}')).toBe(1);
    expect(value('lookout_hook_requests_total{agent="claude-code",status="204"}')).toBe(1);
    expect(value('lookout_hook_request_seconds_count{agent="claude-code"}')).toBe(1);
    expect(value('lookout_events_written_total')).toBe(server.attention.latestSeq);
    expect(value('lookout_write_batch_entries_sum')).toBe(server.attention.latestSeq);
    expect(value('lookout_events_delivered_total')).toBe(2);
    expect(value('lookout_subscribers')).toBe(1);
    expect(value('lookout_replica_lag_entries')).toBe(0);
    expect(value('lookout_leader')).toBe(1);
    expect(value('lookout_replays_total')).toBe(0);
  });
});
