// GET /metrics: Prometheus's text format, behind the token, counting what the server really did.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KNOWN_OPERATIONS } from '../api/http/metrics.ts';
import { askPermission, collect, FEED, FEED_EVENT, RECORD_SPEAKER, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

async function scrape(headers: Record<string, string> = server.token ? { authorization: `Bearer ${server.token}` } : {}) {
  const res = await fetch(server.url.replace(/\/graphql$/, '/metrics'), { headers });
  const text = await res.text();
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { status: res.status, type: res.headers.get('content-type'), value, text };
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
    // The test's own name is no name of Lookout's clients.
    expect(value('lookout_graphql_operations_total{operation="other",type="mutation",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="Feed",type="subscription",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="Feed",type="query",outcome="ok"}')).toBe(1);
    expect(value('lookout_graphql_operations_total{operation="invalid",type="query",outcome="invalid"}')).toBe(1);
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

describe('/metrics under a hostile client', () => {
  it('keeps a closed set of operation labels whatever names a report token sends, valid or not, and has the process metrics', async () => {
    server = await startServer();
    // Lookout's own series: Node's process metrics grow with what the process did (a GC of a new kind adds its own).
    const lookoutSeries = (text: string) => text.split('\n').filter((line) => line.startsWith('lookout_')).join('\n').length;
    const before = lookoutSeries((await scrape()).text);
    const long = 'N'.repeat(10_000);
    for (let i = 0; i < 300; i++) {
      await server.gql(`query ${long}${i} { nothingHere }`);
      await server.gql(`query Name${i} { __typename }`);
      await server.gql(`mutation Speak${i}($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`, { input: { sessionId: `s${i % 3}`, speaker: 'USER' } });
    }
    const { text, value } = await scrape();
    const series = text.split('\n').filter((l) => l.startsWith('lookout_graphql_operations_total{'));
    expect(series.map((l) => /operation="([^"]*)"/.exec(l)![1]).sort()).toEqual(['invalid', 'other', 'other']);
    expect(value('lookout_graphql_operations_total{operation="invalid",type="query",outcome="invalid"}')).toBe(300);
    expect(value('lookout_graphql_operations_total{operation="other",type="mutation",outcome="ok"}')).toBe(300);
    expect(lookoutSeries(text) - before).toBeLessThan(2_000);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("knows every operation Lookout's own page, CLI and MCP server send by name", async () => {
    const sent = new Set<string>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'gql' && entry.name !== 'node_modules') await walk(file);
        } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
          for (const [, name] of (await readFile(file, 'utf8')).matchAll(/\b(?:query|mutation|subscription) ([A-Z]\w*)/g)) sent.add(name!);
        }
      }
    };
    await walk('client/src');
    await walk('cli');
    expect(sent.size).toBeGreaterThan(10);
    expect([...sent].filter((name) => !KNOWN_OPERATIONS.has(name))).toEqual([]);
  });
});
