// The feed's kept answers: a repeated feed query is answered from stored bytes, never stale, never
// without the token, and nothing else is ever kept.
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

const FEED = 'query Feed { attentionSessions { latestSeq edges { node { id lastSpeaker attention { reason } } } } }';
const TOKEN = 'feed-answers-token';
let server: TestServer;

afterEach(() => server.stop());

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as any };
}

const speak = (sessionId: string, speaker: 'USER' | 'ASSISTANT') => post({ query: RECORD_SPEAKER, variables: { input: { sessionId, speaker } } });
const feedIds = (json: any) => json.data.attentionSessions.edges.map((e: any) => `${e.node.id}:${e.node.attention.reason}`);

describe('a repeated feed query', () => {
  it('sees every write at once: the next read after a change is the new feed', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    await speak('a', 'ASSISTANT');
    const first = await post({ query: FEED });
    expect(feedIds(first.json)).toEqual(['a:AWAITING_REPLY']);
    const again = await post({ query: FEED });
    expect(again).toEqual(first);
    expect(again.type).toContain('application/graphql-response+json');

    for (let i = 0; i < 20; i++) {
      await speak(`s${i}`, 'ASSISTANT');
      const feed = await post({ query: FEED });
      expect(feed.json.data.attentionSessions.latestSeq).toBe(server.attention.latestSeq);
      expect(feedIds(feed.json)).toHaveLength(i + 2);
    }
    await speak('a', 'USER');
    expect(feedIds((await post({ query: FEED })).json)).not.toContain('a:AWAITING_REPLY');
  });

  it('is answered only with the token, and keeps variables and answer formats apart', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    await speak('a', 'ASSISTANT');
    await post({ query: FEED });
    expect((await post({ query: FEED }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post({ query: FEED }, { authorization: '' })).status).toBe(401);

    const byProject = 'query ByProject($project: String) { attentionSessions(project: $project) { edges { node { id } } } }';
    expect((await post({ query: byProject, variables: { project: 'elsewhere' } })).json.data.attentionSessions.edges).toEqual([]);
    expect((await post({ query: byProject, variables: { project: null } })).json.data.attentionSessions.edges).toHaveLength(1);
    const legacy = await post({ query: FEED }, { accept: 'application/json' });
    expect(legacy.type).toContain('application/json');
  });

  it('keeps no other answer: mutations run every time, and other queries read the store', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    const session = 'query One { session(id: "a") { lastSpeaker } }';
    await speak('a', 'ASSISTANT');
    expect((await post({ query: session })).json.data.session.lastSpeaker).toBe('ASSISTANT');
    const seq = server.attention.latestSeq;
    await speak('a', 'USER');
    await speak('a', 'USER');
    expect(server.attention.latestSeq).toBe(seq + 2);
    expect((await post({ query: session })).json.data.session.lastSpeaker).toBe('USER');
  });
});
