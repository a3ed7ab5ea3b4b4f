import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, countRows, FEED_EVENT, RECORD_ACTIVITY, RECORD_SPEAKER, nothingMoreThan, sql, startServer, subscribersListening, type TestServer } from './helpers.ts';
import { type InProcessLookout, inProcess } from './in-process.ts';

// What the schema decides is asked in-process, through yoga.fetch; the real server is started where
// the transport is what is tested (HTTP statuses and limits, graphql-ws, the hook route).
let app: InProcessLookout;
let server: TestServer;
const withLookoutInProcess = () => {
  beforeEach(async () => {
    app = await inProcess();
  });
  afterEach(() => app.close());
};
const withServer = () => {
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.stop());
};

const SESSION_STATE = `query($id: ID!) { session(id: $id) { state waitReason lastSpeaker events { edges { node { seq } } } } }`;

describe('bad input gets a typed, field-level error and changes nothing', () => {
  withLookoutInProcess();

  const cases: [string, string, Record<string, unknown>, string[], RegExp][] = [
    ['an empty session id', RECORD_SPEAKER, { sessionId: '  ', speaker: 'USER' }, ['input', 'sessionId'], /empty/],
    ['a title that is too long', RECORD_SPEAKER, { sessionId: 's', speaker: 'USER', title: 'x'.repeat(501) }, ['input', 'title'], /500/],
    ['a link that is not a URL', RECORD_SPEAKER, { sessionId: 's', speaker: 'USER', link: 'not a link' }, ['input', 'link'], /URL/i],
    [
      'a time far in the future',
      RECORD_SPEAKER,
      { sessionId: 's', speaker: 'USER', at: new Date(Date.now() + 3_600_000).toISOString() },
      ['input', 'at'],
      /future/,
    ],
    ['waiting with no reason', RECORD_ACTIVITY, { sessionId: 'known', state: 'WAITING' }, ['input', 'waitReason'], /required/],
    ['working with a wait reason', RECORD_ACTIVITY, { sessionId: 'known', state: 'WORKING', waitReason: 'QUESTION' }, ['input', 'waitReason'], /empty/],
  ];

  it.each(cases)('%s', async (_name, mutation, input, path, message) => {
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 'known', speaker: 'USER' } });
    const before = await countRows(app.database);
    const { data, errors } = await app.gql(mutation, { input });
    expect(errors).toBeUndefined();
    const result = Object.values(data as object)[0];
    expect(result.__typename).toBe('InputValidationError');
    expect(result.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(await countRows(app.database)).toEqual(before);
  });

  it.each(['javascript:alert(document.domain)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'JavaScript:alert(1)', 'ftp://example.com/x'])(
    'a link that could run code or read files (%s) is refused',
    async (link) => {
      const before = await countRows(app.database);
      const { data } = await app.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'USER', link } });
      expect(data.recordSpeaker).toEqual({
        __typename: 'InputValidationError',
        issues: [{ path: ['input', 'link'], message: expect.stringMatching(/https:.*vscode:/) }],
      });
      expect(await countRows(app.database)).toEqual(before);
    },
  );

  it('web, editor and terminal links are taken; a bad link stored before the check is never handed out', async () => {
    for (const link of ['https://claude.ai/code/session_1', 'http://localhost:3000/', 'vscode://file/home/dev/app', 'cursor://file/home/dev/app', 'zed://file/home/dev/app']) {
      const { data } = await app.gql(`${RECORD_SPEAKER.replace('data { id', 'data { id link')}`, { input: { sessionId: 's', speaker: 'USER', link } });
      expect(data.recordSpeaker.data, link).toMatchObject({ link });
    }
    await sql(app.database, `UPDATE "Session" SET "link" = 'javascript:alert(1)' WHERE "id" = 's'`);
    expect((await app.gql('{ session(id: "s") { link } }')).data).toEqual({ session: { link: null } });
  });


  it('an unknown session id is a SessionNotFoundError for everything but recordSpeaker', async () => {
    const before = await countRows(app.database);
    for (const mutation of [
      `mutation { recordActivity(input: {sessionId: "ghost", state: WORKING}) { __typename ... on SessionNotFoundError { sessionId message } } }`,
      `mutation { reportWorktree(input: {sessionId: "ghost", uncommittedFiles: 1}) { __typename ... on SessionNotFoundError { sessionId message } } }`,
      `mutation { closeSession(input: {sessionId: "ghost", closedBy: USER}) { __typename ... on SessionNotFoundError { sessionId message } } }`,
      `mutation { markSeen(sessionId: "ghost") { __typename ... on SessionNotFoundError { sessionId message } } }`,
      `mutation { hideSession(sessionId: "ghost") { __typename ... on SessionNotFoundError { sessionId message } } }`,
    ]) {
      const { data } = await app.gql(mutation);
      expect(Object.values(data as object)[0]).toEqual({
        __typename: 'SessionNotFoundError',
        sessionId: 'ghost',
        message: 'No session with id "ghost". recordSpeaker registers a session.',
      });
    }
    expect(await countRows(app.database)).toEqual(before);
  });

  it('snoozing a session that is not in the feed, or into the past, is refused', async () => {
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 'quiet', speaker: 'USER' } });
    const before = await countRows(app.database);
    const snooze = `mutation($until: DateTime!) { snoozeSession(sessionId: "quiet", until: $until) { __typename ... on Error { message } } }`;
    const notInFeed = await app.gql(snooze, { until: new Date(Date.now() + 60_000).toISOString() });
    expect(notInFeed.data.snoozeSession.__typename).toBe('NotInFeedError');
    const past = await app.gql(snooze, { until: new Date(Date.now() - 60_000).toISOString() });
    expect(past.data.snoozeSession).toMatchObject({ __typename: 'InputValidationError', message: expect.stringMatching(/future/) });
    expect(await countRows(app.database)).toEqual(before);
  });
});

describe('bad input on every transport', () => {
  withServer();

  it('text with an unpaired surrogate is refused at the boundary, on every transport, and nothing is stored', async () => {
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'known', speaker: 'USER' } });
    const before = await countRows(server.database);
    const lone = '\ud800';
    // Over HTTP, as variables (a literal in the query is already a syntax error).
    for (const [query, variables] of [
      [RECORD_SPEAKER, { input: { sessionId: `a${lone}`, speaker: 'USER' } }],
      [RECORD_SPEAKER, { input: { sessionId: 'known', speaker: 'USER', title: `broken ${lone}` } }],
      ['query($id: ID!) { session(id: $id) { id } }', { id: lone }],
    ] as const) {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0]).toMatchObject({ message: expect.stringMatching(/^variables\.(input\.(sessionId|title)|id) .*unpaired UTF-16 surrogate/), extensions: { code: 'BAD_USER_INPUT' } });
    }
    // Over graphql-ws.
    const feed = collect(server.wsClient(), FEED_EVENT, { project: lone });
    await expect(feed.next(1)).rejects.toThrow(/variables\.project .*unpaired/);
    // Through the hook endpoint.
    const hook = await fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'h', hook_event_name: 'Stop', cwd: `/tmp/${lone}` }),
    });
    expect(hook.status).toBe(400);
    expect((await hook.json()).error).toMatch(/cwd .*unpaired/);
    expect(await countRows(server.database)).toEqual(before);
    expect((await server.gql('{ session(id: "known") { title } }')).data).toEqual({ session: { title: 'New session' } });
  });

  it('an unknown enum value is rejected before anything runs', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: RECORD_ACTIVITY, variables: { input: { sessionId: 'x', state: 'SLEEPING' } } }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/SLEEPING/);
  });
});

describe('late and out-of-order events', () => {
  withLookoutInProcess();

  it('an event older than the state it would change is logged but moves nothing backwards', async () => {
    const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'USER', at: t(0) } });
    await app.gql(RECORD_ACTIVITY, { input: { sessionId: 's', state: 'WAITING', waitReason: 'PERMISSION', at: t(10) } });
    await app.gql(RECORD_ACTIVITY, { input: { sessionId: 's', state: 'WORKING', at: t(5) } }); // late
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'ASSISTANT', at: t(20) } });
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'USER', at: t(15) } }); // late
    const { data } = await app.gql(SESSION_STATE, { id: 's' });
    expect(data.session).toMatchObject({ state: 'WAITING', waitReason: 'PERMISSION', lastSpeaker: 'ASSISTANT' });
    expect(data.session.events.edges).toHaveLength(5);
  });
});

describe('repeated events over the API', () => {
  withServer();

  it('a repeated event id changes nothing and publishes nothing', async () => {
    const feed = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 1);
    const input = { sessionId: 's', speaker: 'ASSISTANT', eventId: 'stop-1' };
    await server.gql(RECORD_SPEAKER, { input });
    const before = await countRows(server.database);
    const again = await server.gql(RECORD_SPEAKER, { input });
    expect(again.data.recordSpeaker).toMatchObject({ __typename: 'MutationRecordSpeakerSuccess', data: { id: 's' } });
    expect(await countRows(server.database)).toEqual(before);
    await nothingMoreThan(feed, 1, 'marker', () => server.gql(RECORD_SPEAKER, { input: { sessionId: 'marker', speaker: 'ASSISTANT' } }));
  });

});

describe('unexpected failures are masked', () => {
  withLookoutInProcess();

  it('no database message, stack or path reaches the client', async () => {
    await app.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'USER' } });
    await sql(app.database, 'DROP TABLE "SessionEvent"');
    const { data, errors } = await app.gql(`{ session(id: "s") { id events { edges { node { seq } } } } }`);
    expect(data).toEqual({ session: null });
    expect(errors).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
    expect(JSON.stringify(errors)).not.toMatch(/prisma|sqlite|SessionEvent|\/work|\/tmp|at /i);
  });
});

describe('limits', () => {
  withServer();

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body,
    });

  it('a body over 1 MB is refused with 413, every time, whether the client sends it all or waits for 100 Continue', async () => {
    const big = JSON.stringify({ query: `{ attentionSummary { total } }`, variables: { pad: 'x'.repeat(2_000_000) } });
    for (let i = 0; i < 20; i++) {
      const res = await post(big);
      expect(res.status, `attempt ${i + 1}`).toBe(413);
      expect(JSON.stringify(await res.json())).toMatch(/larger than 1 MB/);
    }
    const expecting = await new Promise<{ status: number; sentBody: boolean }>((resolve, reject) => {
      let sentBody = false;
      const req = request(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big), expect: '100-continue' },
      });
      req.on('continue', () => {
        sentBody = true;
        req.end(big);
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, sentBody });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(expecting).toEqual({ status: 413, sentBody: false });
    // The server is still fine.
    expect((await post(JSON.stringify({ query: '{ attentionSummary { total } }' }))).status).toBe(200);
  });

  it('yoga streams no body over the limit either: a streamed answer (SSE) is refused the same, and a body of no stated length is refused before it is read', async () => {
    const big = JSON.stringify({ query: `{ attentionSummary { total } }`, variables: { pad: 'x'.repeat(2_000_000) } });
    const streamed = await post(big, { accept: 'text/event-stream' });
    expect(streamed.status).toBe(413);
    expect(JSON.stringify(await streamed.json())).toMatch(/larger than 1 MB/);
    const chunked = (accept: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept, 'transfer-encoding': 'chunked' } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        // A small, valid body in two chunks: refused for having no stated length, whatever its size.
        req.write('{"query": "{ attentionSummary');
        req.end(' { total } }"}');
      });
    for (const accept of ['application/graphql-response+json', 'text/event-stream']) {
      expect(await chunked(accept), accept).toEqual({ status: 411, body: expect.stringMatching(/Content-Length/) });
    }
    expect((await post(JSON.stringify({ query: '{ attentionSummary { total } }' }), { accept: 'text/event-stream' })).status).toBe(200);
  });

  it('the largest feed page the schema documents can be asked for, with every field of a session', async () => {
    const res = await post(JSON.stringify({ query: `{ attentionSessions(first: 500) { latestSeq edges { cursor node { ${SESSION_FIELDS} } } pageInfo { hasNextPage endCursor } } }` }));
    expect(await res.json()).toEqual({ data: { attentionSessions: expect.objectContaining({ edges: [] }) } });
    expect(res.status).toBe(200);
  });

  const graphqlResponse = ['application/graphql-response+json'];
  const either = [...graphqlResponse, 'application/json'];
  it.each([
    ['too deep', deepQuery(12), 'depth', either],
    ['too many aliases', `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: attentionSummary { total }`).join(' ')} }`, 'alias', either],
    ['too costly', `{ ${Array.from({ length: 12 }, (_, i) => `a${i}: sessions(first: 100) { edges { node { events(first: 100) { edges { node { attention { since } } } } } } }`).join(' ')} }`, 'cost', either],
    // Rejected while parsing: GraphQL over HTTP answers a client that accepts only application/json with 200.
    ['too many tokens', `{ ${Array.from({ length: 2100 }, () => '__typename').join(' ')} }`, 'token', graphqlResponse],
  ])('an operation that is %s gets a 400 over HTTP', async (_name, query, word, accepts) => {
    for (const accept of accepts) {
      const res = await post(JSON.stringify({ query }), { accept });
      expect(res.status, accept).toBe(400);
      const [error] = ((await res.json()) as { errors: { message: string }[] }).errors;
      expect(error!.message).toMatch(new RegExp(word, 'i'));
      expect(error!.message).not.toMatch(/syntax/i); // the query's syntax is fine: a limit was hit
    }
  });

  it('over graphql-ws a rejected operation gets an error message and the socket stays open', async () => {
    const client = server.wsClient();
    const rejected = collect(client, deepQuery(12));
    await expect(rejected.next(1)).rejects.toThrow(/depth/i);
    const feed = collect(client, FEED_EVENT);
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'ASSISTANT' } });
    await expect(feed.next(1)).resolves.toHaveLength(1);
  });
});

const SESSION_FIELDS =
  'id agent title project cwd branch host link state waitReason waitDetail lastSpeaker lastSpeakerAt lastEventAt uncommittedFiles closedBy closedAt hidden seenAt snoozedUntil createdAt updatedAt attention { tier reason label since }';

/** A query `depth` fields deep. */
function deepQuery(depth: number): string {
  const names = Array.from({ length: depth - 1 }, (_, i) => `f${i}`);
  return `{ ${names.join(' { ')} { id${' }'.repeat(depth - 1)} }`;
}
