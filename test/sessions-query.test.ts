import { afterEach, describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RECORD_SPEAKER } from './helpers.ts';
import { type InProcessLookout, inProcess } from './in-process.ts';

// The queries Prisma runs for the schema, asked in-process: on SQLite, and again on PostgreSQL.
let server: InProcessLookout;
afterEach(() => server?.close());

const SESSIONS = `query($filter: SessionFilter, $first: Int, $after: String) {
  sessions(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id project updatedAt events { edges { node { seq kind attention { reason } } } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Returns once the clock has moved on a millisecond: the next write's updatedAt is later than the last one's. */
async function clockTicks(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await nextTurn();
}

describe('sessions, for tools', () => {
  it('filters, pages most recently updated first, and carries each session\'s event log', async () => {
    server = await inProcess();
    for (const id of ['a', 'b', 'c']) {
      await server.gql(RECORD_SPEAKER, { input: { sessionId: id, speaker: 'USER', project: 'api' } });
      await clockTicks();
    }
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'other', speaker: 'USER', project: 'web' } });
    await clockTicks();
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'a', speaker: 'ASSISTANT' } }); // a is now the newest

    const page1 = (await server.gql(SESSIONS, { filter: { project: 'api' }, first: 2 })).data.sessions;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual(['a', 'c']);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.edges[0].node.events.edges.map((e: any) => [e.node.kind, e.node.attention?.reason ?? null])).toEqual([
      ['SPEAKER', null],
      ['SPEAKER', 'AWAITING_REPLY'],
    ]);
    const page2 = (await server.gql(SESSIONS, { filter: { project: 'api' }, first: 2, after: page1.pageInfo.endCursor })).data.sessions;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual(['b']);
    expect(page2.pageInfo.hasNextPage).toBe(false);
  });

  it('session(id) answers null for an unknown id', async () => {
    server = await inProcess();
    expect((await server.gql(`{ session(id: "nope") { id } }`)).data).toEqual({ session: null });
  });
});

describe('the feed query', () => {
  it('returns the whole feed in one page by default, with the log position it reflects', async () => {
    server = await inProcess();
    for (let i = 0; i < 30; i++) await server.gql(RECORD_SPEAKER, { input: { sessionId: `s${i}`, speaker: 'ASSISTANT' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'quiet', speaker: 'USER' } });
    const { data } = await server.gql(`{ attentionSessions { latestSeq edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(data.attentionSessions.edges).toHaveLength(30);
    expect(data.attentionSessions.latestSeq).toBe(31);
    expect(data.attentionSessions.pageInfo.hasNextPage).toBe(false);
  });
});
