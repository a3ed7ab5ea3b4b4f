// Scoped tokens and people, against the real server: every root operation and route allowed or
// refused by scope as the schema declares it, each person's own feed, and revocation at once.
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { schema } from '../api/schema/index.ts';
import { grants, SCOPES, type Scope } from '../api/tokens/scopes.ts';
import { runCli } from './cli-helpers.ts';
import { collect, everythingStored, FEED_EVENT, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const ADMIN = 'owner-secret';
const origin = () => server.url.replace(/\/graphql$/, '');

async function gqlAs(token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

async function createToken(scope: Scope, person: string): Promise<string> {
  const { body } = await gqlAs(ADMIN, `mutation($scope: TokenScope!, $person: String) { createToken(name: "t", scope: $scope, person: $person) { ... on MutationCreateTokenSuccess { data { token } } } }`, {
    scope: scope.toUpperCase(),
    person,
  });
  return body.data.createToken.data.token;
}

const hookAs = (token: string, payload: Record<string, unknown>, path = '/hooks/claude-code') =>
  fetch(`${origin()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(payload) });

// One sample operation per root field: the test below fails for a field the schema has and this
// table does not, so a new operation is never left unchecked.
const SAMPLES: Record<string, string> = {
  session: '{ session(id: "x") { id } }',
  sessions: '{ sessions { edges { node { id } } } }',
  attentionSessions: '{ attentionSessions { edges { node { id } } } }',
  attentionSummary: '{ attentionSummary { total } }',
  insights: '{ insights(from: "2026-12-01T00:00:00Z", to: "2026-12-08T00:00:00Z") { __typename } }',
  tokens: '{ tokens { id } }',
  recordSpeaker: 'mutation { recordSpeaker(input: { sessionId: "scoped", speaker: USER }) { __typename } }',
  recordActivity: 'mutation { recordActivity(input: { sessionId: "scoped", state: WORKING }) { __typename } }',
  reportWorktree: 'mutation { reportWorktree(input: { sessionId: "scoped", uncommittedFiles: 1 }) { __typename } }',
  closeSession: 'mutation { closeSession(input: { sessionId: "scoped", closedBy: AUTO }) { __typename } }',
  markSeen: 'mutation { markSeen(sessionId: "scoped") { __typename } }',
  snoozeSession: `mutation { snoozeSession(sessionId: "scoped", until: "${new Date(Date.now() + 3_600_000).toISOString()}") { __typename } }`,
  hideSession: 'mutation { hideSession(sessionId: "scoped") { __typename } }',
  unhideSession: 'mutation { unhideSession(sessionId: "scoped") { __typename } }',
  answerPermission: 'mutation { answerPermission(input: { requestId: "scoped:1", decision: ALLOW_ONCE }) { __typename } }',
  answerQuestion: 'mutation { answerQuestion(input: { requestId: "scoped:1", answers: [{ question: "Which?", choices: ["A"] }] }) { __typename } }',
  projects: '{ projects }',
  refusedHooks: '{ refusedHooks { count } }',
  answerElicitation: 'mutation { answerElicitation(input: { requestId: "scoped:1", action: DECLINE }) { __typename } }',
  createToken: 'mutation { createToken(name: "n", scope: READ) { __typename } }',
  revokeToken: 'mutation { revokeToken(id: "nope") { __typename } }',
  webhooks: '{ webhooks { id } }',
  notificationPolicy: '{ notificationPolicy { mode } }',
  setNotificationPolicy: 'mutation { setNotificationPolicy(mode: QUIET) { __typename } }',
  addWebhook: 'mutation { addWebhook(url: "http://127.0.0.1:9/hook", format: JSON) { __typename } }',
  removeWebhook: 'mutation { removeWebhook(id: "nope") { __typename } }',
  pushPublicKey: '{ pushPublicKey }',
  pushDevices: '{ pushDevices { endpoint } }',
  addPushDevice: `mutation { addPushDevice(input: { endpoint: "https://127.0.0.1:9/push", p256dh: "${'A'.repeat(87)}", auth: "${'A'.repeat(22)}", label: "l" }) { __typename } }`,
  removePushDevice: 'mutation { removePushDevice(endpoint: "https://127.0.0.1:9/push") { __typename } }',
  myChannels: '{ myChannels { kind } }',
  availableChannels: '{ availableChannels }',
  setNtfyChannel: 'mutation { setNtfyChannel(topicUrl: "https://127.0.0.1:9/t") { __typename } }',
  setSlackChannel: 'mutation { setSlackChannel(memberId: "U123") { __typename } }',
  linkTelegram: 'mutation { linkTelegram { __typename } }',
  removeChannel: 'mutation { removeChannel(kind: NTFY) { __typename } }',
  rotateAnswerLinkKey: 'mutation { rotateAnswerLinkKey }',
  setDeviceLooking: 'mutation { setDeviceLooking(endpoint: "https://127.0.0.1:9/push", looking: true) { __typename } }',
  attentionChanged: 'subscription { attentionChanged { __typename } }',
};

const rootFields = () =>
  [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!].flatMap((type) =>
    Object.values(type.getFields()).map((field) => ({ name: field.name, needs: field.extensions.needs as Scope | undefined, subscription: type === schema.getSubscriptionType() })),
  );

describe('scopes', () => {
  it('every root operation declares the scope it needs, and has a sample here', () => {
    for (const field of rootFields()) {
      expect(field.needs, `${field.name} declares no scope`).toBeOneOf([...SCOPES]);
      expect(SAMPLES[field.name], `${field.name} has no sample operation in this test`).toBeDefined();
    }
  });

  it('each scope may run exactly the operations the schema grants it, over HTTP and graphql-ws; refused means no answer at all', async () => {
    server = await startServer({ LOOKOUT_TOKEN: ADMIN });
    const tokens = Object.fromEntries(await Promise.all(SCOPES.map(async (scope) => [scope, await createToken(scope, 'you')] as const)));
    for (const field of rootFields()) {
      for (const scope of SCOPES) {
        const allowed = grants(scope, field.needs!);
        const label = `${field.name} with a ${scope} token`;
        if (field.subscription) {
          const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${tokens[scope]}` }, retryAttempts: 0 });
          const first = await new Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>((resolve) => {
            const stop = client.subscribe({ query: SAMPLES[field.name]! }, { next: (r) => (stop(), resolve(r as never)), error: (e) => resolve({ errors: e as never }), complete: () => {} });
            // An allowed subscription waits for changes: make one.
            if (allowed) void subscribersListening(server, 1).then(() => gqlAs(ADMIN, 'mutation { recordSpeaker(input: { sessionId: "sub", speaker: ASSISTANT }) { __typename } }'));
          });
          await client.dispose();
          await expect.poll(() => server.attention.subscriberCount).toBe(0);
          if (allowed) expect(first.data, label).toBeDefined();
          else expect(first.errors?.[0]?.extensions?.code, label).toBe('FORBIDDEN');
          continue;
        }
        const { status, body } = await gqlAs(tokens[scope]!, SAMPLES[field.name]!);
        if (allowed) {
          expect(body.errors?.find((e) => e.extensions?.code === 'FORBIDDEN'), label).toBeUndefined();
          expect(body.data, label).toBeDefined();
        } else {
          expect([status, body.data, body.errors?.[0]?.extensions?.code], label).toEqual([403, undefined, 'FORBIDDEN']);
        }
      }
    }
    // One forbidden field among allowed ones: no partial answer.
    const mixed = await gqlAs(tokens.read!, '{ attentionSummary { total } tokens { id } }');
    expect([mixed.status, mixed.body.data]).toEqual([403, undefined]);
    // The hooks need report; a read or act token gets 403 and records nothing.
    for (const scope of SCOPES) {
      const res = await hookAs(tokens[scope]!, { session_id: `hook-${scope}`, hook_event_name: 'Stop' });
      expect(res.status, scope).toBe(grants(scope, 'report') ? 204 : 403);
    }
  }, 60_000);
});

describe('people', () => {
  it('each person sees and acts on their own feed; the team view is an admin\'s; a cached answer never crosses people', async () => {
    server = await startServer({ LOOKOUT_TOKEN: ADMIN });
    const [aliceHooks, bobHooks, alice, bob] = await Promise.all([createToken('report', 'alice'), createToken('report', 'bob'), createToken('act', 'alice'), createToken('act', 'bob')]);
    const prompt = (session: string, command: string) => ({ session_id: session, hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command } });
    expect((await hookAs(aliceHooks, prompt('a1', 'npm publish'))).status).toBe(204);
    expect((await hookAs(bobHooks, prompt('b1', 'rm -rf dist'))).status).toBe(204);
    // Bob's agent cannot report into Alice's session.
    expect((await hookAs(bobHooks, { session_id: 'a1', hook_event_name: 'Stop' })).status).toBe(403);

    const FEED = '{ attentionSessions { edges { node { id owner attention { reason } } } } attentionSummary { needsYou } }';
    const feedOf = async (token: string, query = FEED) => (await gqlAs(token, query)).body.data;
    // The same request body, asked by Alice then by Bob: each gets their own answer, never the other's kept one.
    expect(await feedOf(alice)).toEqual({ attentionSessions: { edges: [{ node: { id: 'a1', owner: 'alice', attention: { reason: 'WAITING' } } }] }, attentionSummary: { needsYou: 1 } });
    expect(await feedOf(bob)).toEqual({ attentionSessions: { edges: [{ node: { id: 'b1', owner: 'bob', attention: { reason: 'WAITING' } } }] }, attentionSummary: { needsYou: 1 } });
    expect((await gqlAs(alice, '{ session(id: "b1") { id } }')).body.data).toEqual({ session: null });

    // Bob cannot touch Alice's session; his own snooze leaves her feed as it was.
    // To Bob, acting on it, Alice's session is as absent as one that does not exist: no action tells which ids exist.
    const seen = async (id: string) => (await gqlAs(bob, `mutation { markSeen(sessionId: "${id}") { __typename ... on Error { message } } }`)).body.data.markSeen;
    expect(await seen('a1')).toEqual({ __typename: 'SessionNotFoundError', message: expect.stringContaining('"a1"') });
    expect((await seen('a1')).message.replace('a1', 'x')).toBe((await seen('x')).message);
    const answered = await gqlAs(bob, 'mutation { answerPermission(input: { requestId: "a1:e", decision: DENY, via: FEED }) { __typename } }');
    expect(answered.body.data.answerPermission.__typename).toBe('SessionNotFoundError');
    // A report token gets a session's id back from its reports, nothing of its data.
    const report = (selection: string) => gqlAs(bobHooks, `mutation { recordSpeaker(input: { sessionId: "b1", speaker: USER }) { __typename ... on MutationRecordSpeakerSuccess { data { ${selection} } } } }`);
    expect((await report('id')).body.data.recordSpeaker).toEqual({ __typename: 'MutationRecordSpeakerSuccess', data: { id: 'b1' } });
    for (const selection of ['id title', 'pendingPermission { input }', 'events { edges { node { input } } }', '... on Session { state }']) {
      const refused = await report(selection);
      expect([refused.status, refused.body.data, refused.body.errors?.[0]?.extensions?.code], selection).toEqual([403, undefined, 'FORBIDDEN']);
    }
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await gqlAs(bob, `mutation { snoozeSession(sessionId: "b1", until: "${until}") { __typename } }`)).body.data.snoozeSession.__typename).toBe('MutationSnoozeSessionSuccess');
    expect((await feedOf(alice)).attentionSessions.edges.map((e: any) => e.node.id)).toEqual(['a1']);
    expect((await feedOf(bob)).attentionSessions.edges).toEqual([]);

    // The team view: everyone's, with owners, for an admin only.
    const team = '{ attentionSessions(scope: TEAM) { edges { node { id owner } } } }';
    expect((await gqlAs(ADMIN, team)).body.data.attentionSessions.edges.map((e: any) => e.node).sort((a: any, b: any) => a.id.localeCompare(b.id))).toEqual([
      { id: 'a1', owner: 'alice' },
    ]);
    expect((await gqlAs(alice, team)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Live changes: each person hears only their own.
    const aliceWs = server.wsClient({ authorization: `Bearer ${alice}` });
    const bobWs = server.wsClient({ authorization: `Bearer ${bob}` });
    const aliceFeed = collect(aliceWs, FEED_EVENT, {});
    const bobFeed = collect(bobWs, FEED_EVENT, {});
    await subscribersListening(server, 2);
    await hookAs(bobHooks, { session_id: 'b2', hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'make' } });
    await hookAs(aliceHooks, { session_id: 'a2', hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'make' } });
    expect((await aliceFeed.next(1)).map((c: any) => c.attentionChanged.session.id)).toEqual(['a2']);
    expect((await bobFeed.next(1)).map((c: any) => c.attentionChanged.session.id)).toEqual(['b2']);
    expect(aliceFeed.received).toHaveLength(1);
  });
});

describe('tokens', () => {
  it('are kept only as hashes, shown once, and a revoked one is refused at once on HTTP, SSE and an open WebSocket', async () => {
    server = await startServer({ LOOKOUT_TOKEN: ADMIN });
    const env = { LOOKOUT_URL: origin(), LOOKOUT_TOKEN: ADMIN };
    const created = await runCli(['token', 'create', '--name', 'status-bar', '--scope', 'read', '--user', 'alice'], env);
    expect(created.stdout).toMatch(/\(read, for alice\)/);
    expect(created.code).toBe(0);
    const token = /^(lk_\S+)$/m.exec(created.stdout)![1]!;
    const id = /Created token (\w+)/.exec(created.stdout)![1]!;
    expect((await runCli(['token', 'ls'], env)).stdout).not.toContain(token.slice(20));
    // Not in the database, in any form that gives it back.
    const secret = /^lk_[0-9a-f]{16}_(.+)$/.exec(token)![1]!;
    expect(secret).toHaveLength(43);
    expect(await everythingStored(server.database)).not.toContain(secret);

    const ws = server.wsClient({ authorization: `Bearer ${token}` });
    const closed = new Promise<number>((resolve) => ws.on('closed', (event: any) => resolve(event.code)));
    collect(ws, FEED_EVENT, {});
    const sse = await fetch(`${server.url}?query=${encodeURIComponent('subscription { attentionChanged { __typename } }')}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    });
    expect(sse.status).toBe(200);
    const stream = sse.body!.getReader();
    const streamEnded = (async () => {
      for (;;) if ((await stream.read().catch(() => ({ done: true }))).done) return true;
    })();
    await subscribersListening(server, 2);

    expect(await runCli(['token', 'revoke', id], env)).toMatchObject({ code: 0 });
    expect(await closed).toBe(4403);
    expect(await streamEnded).toBe(true);
    expect((await gqlAs(token, '{ attentionSummary { total } }')).status).toBe(401);
    await expect.poll(() => server.attention.subscriberCount).toBe(0);
    // A read token cannot create tokens.
    const reader = await createToken('read', 'alice');
    expect((await runCli(['token', 'create', '--name', 'x', '--scope', 'admin'], { LOOKOUT_URL: origin(), LOOKOUT_TOKEN: reader })).stderr).toMatch(/needs the admin scope/);
  });

  it("revoked, ends what it holds open: a hook's wait for a decision gets no answer, and an answer after it is refused", async () => {
    server = await startServer({ LOOKOUT_TOKEN: ADMIN });
    const reporter = await createToken('report', 'alice');
    const prompt = { session_id: 'r', hook_event_name: 'PermissionRequest', cwd: '/tmp/r', tool_name: 'Bash', tool_input: { command: 'make deploy' }, lookout: { eventId: 'ask-r' } };
    expect((await hookAs(reporter, prompt)).status).toBe(204);
    const waiting = hookAs(reporter, { requestId: 'r:ask-r' }, '/hooks/claude-code/decision').then(
      (res) => res.text().then((text) => `${res.status} ${text}`, () => 'cut'),
      () => 'cut',
    );
    await expect.poll(() => server.attention.decisionWaitCount).toBe(1);
    const { body } = await gqlAs(ADMIN, '{ tokens { id person scope } }');
    const id = body.data.tokens.find((t: any) => t.person === 'alice' && t.scope === 'REPORT').id;
    expect((await gqlAs(ADMIN, `mutation { revokeToken(id: "${id}") { __typename } }`)).body.data.revokeToken.__typename).toBe('MutationRevokeTokenSuccess');
    expect(await waiting).toBe('cut');
    await expect.poll(() => server.attention.decisionWaitCount).toBe(0);
    const answered = await gqlAs(ADMIN, 'mutation { answerPermission(input: { requestId: "r:ask-r", decision: ALLOW_ONCE, via: FEED }) { __typename } }');
    expect(answered.body.data.answerPermission.__typename).toBe('PermissionExpiredError');
  });
});
