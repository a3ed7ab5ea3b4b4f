// Several Lookout processes on one PostgreSQL database, as the team deployment runs them
// (docker-compose.yml's replicas, here as processes of the server's build): every change reaches
// every subscriber on every replica, in seq order, with no gap and no duplicate; a client resumes on
// any replica; a replica killed mid-write loses nothing it acknowledged, and leadership moves.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AttentionService } from '../api/attention/service.ts';
import { openDatabase } from '../api/db/database.ts';
import { collect, FEED_EVENT, freshDatabase, ON_POSTGRESQL, RECORD_SPEAKER, sql } from './helpers.ts';

const SERVER_BUILD = new URL('../dist/server.mjs', import.meta.url).pathname;
const TOKEN = 'replica-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Replica {
  url: string;
  process: ChildProcess;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: unknown[] }>;
  ws(): Client;
  metric(name: string): Promise<number | undefined>;
  /** What it printed, for a failure's message. */
  output(): string;
}

const running: Replica[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  for (const replica of running.splice(0)) {
    if (replica.process.exitCode === null && replica.process.signalCode === null) {
      replica.process.kill('SIGTERM');
      await once(replica.process, 'exit');
    }
  }
});

async function startReplica(database: string, env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, [SERVER_BUILD], {
    env: { ...process.env, PORT: '0', DATABASE_URL: database, LOOKOUT_TOKEN: TOKEN, LOOKOUT_DRAIN_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /Lookout is running at (http:\/\/\S+) /.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`The replica exited (${code}): ${output}`)));
  });
  const replica: Replica = {
    url,
    process: child,
    async gql(query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ query, variables }),
      });
      return res.json() as never;
    },
    ws() {
      const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: auth, retryAttempts: 0 });
      clients.push(client);
      return client;
    },
    output: () => output,
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    },
  };
  running.push(replica);
  return replica;
}

/** Waits until a replica's metric reads `value`: the replica's own signal, read over HTTP. */
async function metricReads(replica: Replica, name: string, value: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await replica.metric(name)) !== value) {
    if (Date.now() > deadline) throw new Error(`${name} never read ${value} (reads ${await replica.metric(name)})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A new database with two replicas: A leads, B follows with a subscriber listening. Done lasts
 * 1.5 s, so a closed session leaves the feed by the leader's timer within a test.
 */
async function leaderAndFollower() {
  const database = await freshDatabase();
  const env = { LOOKOUT_DONE_MINUTES: '0.025' };
  const a = await startReplica(database, env);
  await metricReads(a, 'lookout_leader', 1);
  const b = await startReplica(database, env);
  expect(await b.metric('lookout_leader')).toBe(0);
  const onB = collect(b.ws(), FEED_EVENT, {});
  await metricReads(b, 'lookout_subscribers', 1);
  return { database, a, b, onB };
}

/** The seqs of the log entries that changed someone's attention: what every subscriber must get. */
async function loggedChanges(database: string, after = 0): Promise<number[]> {
  const rows = await sql<{ seq: number }>(
    database,
    `SELECT "seq" FROM "SessionEvent" WHERE "seq" > ${after} AND ("attention" IS NOT NULL OR "previousAttention" IS NOT NULL) ORDER BY "seq"`,
  );
  return rows.map((r) => r.seq);
}

/** Waits until the subscriber has received an event that matches. */
async function receivedOne(feed: ReturnType<typeof collect>, matches: (event: any) => boolean): Promise<void> {
  while (!feed.received.some(matches)) await feed.next(feed.received.length + 1, 10_000);
}

const left = (sessionId: string) => (event: any) => event.attentionChanged.session?.id === sessionId && event.attentionChanged.attention === null;
const seqsOf = (events: any[]) => events.map((e) => e.attentionChanged.seq as number);
const speak = (replica: Replica, sessionId: string, speaker: 'USER' | 'ASSISTANT', eventId?: string) =>
  replica.gql(RECORD_SPEAKER, { input: { sessionId, speaker, project: 'team', eventId } });

describe.runIf(ON_POSTGRESQL)('replicas on one PostgreSQL database', () => {
  it('every change written through either replica reaches subscribers on both, in seq order, with no gap and no duplicate', async () => {
    const database = await freshDatabase();
    const a = await startReplica(database);
    const b = await startReplica(database);
    const onA = collect(a.ws(), FEED_EVENT, {});
    const onB = collect(b.ws(), FEED_EVENT, {});
    await metricReads(a, 'lookout_subscribers', 1);
    await metricReads(b, 'lookout_subscribers', 1);

    // Both replicas write at once, also to the same sessions: appends interleave across processes.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(speak(a, `a-${i}`, 'ASSISTANT'), speak(b, `b-${i}`, 'ASSISTANT'));
      writes.push(speak(i % 2 ? a : b, `shared-${i % 5}`, i % 3 ? 'ASSISTANT' : 'USER'));
    }
    const answers = (await Promise.all(writes)) as { data?: any }[];
    expect(answers.every((answer) => answer.data?.recordSpeaker.__typename === 'MutationRecordSpeakerSuccess')).toBe(true);

    const logged = await loggedChanges(database);
    expect(logged.length).toBeGreaterThanOrEqual(80);
    expect(seqsOf(await onA.next(logged.length))).toEqual(logged);
    expect(seqsOf(await onB.next(logged.length))).toEqual(logged);
    // Nothing more: the next change is the next one each gets.
    await speak(b, 'last', 'ASSISTANT');
    const [last] = await loggedChanges(database, logged.at(-1));
    expect(seqsOf(await onA.next(logged.length + 1)).at(-1)).toBe(last);
    expect(seqsOf(await onB.next(logged.length + 1)).at(-1)).toBe(last);
    expect(onA.received).toHaveLength(logged.length + 1);
    expect(onB.received).toHaveLength(logged.length + 1);

    // Both serve the same feed from memory.
    const feed = '{ attentionSessions(first: 500) { latestSeq edges { node { id attention { reason } } } } }';
    expect((await a.gql(feed)).data).toEqual((await b.gql(feed)).data);
  });

  it('a client that resumes with `after` on the other replica gets exactly what it missed', async () => {
    const database = await freshDatabase();
    const a = await startReplica(database);
    const b = await startReplica(database);
    for (let i = 0; i < 5; i++) await speak(a, `s-${i}`, 'ASSISTANT');
    const first = collect(a.ws(), FEED_EVENT, { after: 0 });
    const seen = seqsOf(await first.next(5));
    first.unsubscribe();
    // Missed while away: written through both replicas.
    for (let i = 0; i < 6; i++) await speak(i % 2 ? a : b, `s-${i % 5}`, i < 5 ? 'USER' : 'ASSISTANT');
    const missed = await loggedChanges(database, seen.at(-1));
    expect(missed).toHaveLength(6);
    const resumed = collect(b.ws(), FEED_EVENT, { after: seen.at(-1) });
    expect(seqsOf(await resumed.next(6))).toEqual(missed);
    await speak(a, 'after', 'ASSISTANT');
    expect(seqsOf(await resumed.next(7)).at(-1)).toEqual((await loggedChanges(database, missed.at(-1)))[0]);
    expect(resumed.received).toHaveLength(7);
  });

  it('a repeated event id is caught across replicas: one entry, whichever replica gets it first', async () => {
    const database = await freshDatabase();
    const a = await startReplica(database);
    const b = await startReplica(database);
    await speak(a, 'twice', 'USER');
    await Promise.all([speak(a, 'twice', 'ASSISTANT', 'turn-1'), speak(b, 'twice', 'ASSISTANT', 'turn-1'), speak(b, 'twice', 'ASSISTANT', 'turn-1')]);
    const entries = await sql(database, `SELECT "seq" FROM "SessionEvent" WHERE "sessionId" = 'twice' AND "eventId" = 'turn-1'`);
    expect(entries).toHaveLength(1);
  });

  it('kill -9 of the leader during writes: every acknowledged write is kept, the other replica goes on and leads, and timers fire once', async () => {
    const { database, a, b, onB } = await leaderAndFollower();

    // While both run, A's timer (A leads) ends a done session that B wrote, once.
    await speak(b, 'done-before', 'USER');
    await b.gql('mutation { closeSession(input: {sessionId: "done-before", closedBy: AUTO}) { __typename } }');
    await receivedOne(onB, left('done-before'));

    // Writes in flight through A when it is killed.
    const acknowledged: string[] = [];
    let twentyAcknowledged: () => void;
    const twenty = new Promise<void>((resolve) => (twentyAcknowledged = resolve));
    const writes = Array.from({ length: 200 }, (_, i) =>
      speak(a, `w-${i}`, 'ASSISTANT').then(
        (answer) => {
          if (answer.data?.recordSpeaker.__typename !== 'MutationRecordSpeakerSuccess') return;
          if (acknowledged.push(`w-${i}`) === 20) twentyAcknowledged();
        },
        () => {},
      ),
    );
    await twenty;
    a.process.kill('SIGKILL');
    await Promise.all(writes);
    const stored = new Set((await sql<{ id: string }>(database, `SELECT "id" FROM "Session" WHERE "id" LIKE 'w-%'`)).map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

    // B takes over leadership, goes on serving writes and subscribers...
    await metricReads(b, 'lookout_leader', 1);
    await speak(b, 'done-after', 'USER');
    await b.gql('mutation { closeSession(input: {sessionId: "done-after", closedBy: AUTO}) { __typename } }');
    // ...and its timer ends the new done session.
    await receivedOne(onB, left('done-after'));
    // Each done session left once: one time-driven entry each, never one per replica.
    const timers = await sql<{ sessionId: string; n: string }>(
      database,
      `SELECT "sessionId", COUNT(*) AS n FROM "SessionEvent" WHERE "kind" = 'TIMER' GROUP BY "sessionId" ORDER BY "sessionId"`,
    );
    expect(timers.map((t) => [t.sessionId, Number(t.n)])).toEqual([
      ['done-after', 1],
      ['done-before', 1],
    ]);
    // What B's subscriber got is the log, in order, with no gap.
    expect(seqsOf(onB.received)).toEqual(await loggedChanges(database));
  });

  it('a frozen leader (SIGSTOP) loses the lead within its 3 s lease; another leads and fires its timers, once; woken, it follows', async () => {
    const { database, a, b, onB } = await leaderAndFollower();
    a.process.kill('SIGSTOP');
    try {
      const frozenAt = Date.now();
      await metricReads(b, 'lookout_leader', 1, 15_000);
      const tookOver = Date.now() - frozenAt;
      expect(tookOver).toBeLessThan(10_000);
      // B's timers: a session done now leaves the feed when its done time is up.
      await speak(b, 'done-while-frozen', 'USER');
      await b.gql('mutation { closeSession(input: {sessionId: "done-while-frozen", closedBy: AUTO}) { __typename } }');
      await receivedOne(onB, left('done-while-frozen'));
    } finally {
      a.process.kill('SIGCONT');
    }
    // Woken, A finds it no longer leads, and serves as a follower; nothing happened twice.
    await metricReads(a, 'lookout_leader', 0, 15_000);
    await speak(a, 'after-waking', 'ASSISTANT');
    await receivedOne(onB, (event) => event.attentionChanged.session?.id === 'after-waking');
    const timers = await sql<{ n: string }>(database, `SELECT COUNT(*) AS n FROM "SessionEvent" WHERE "kind" = 'TIMER' AND "sessionId" = 'done-while-frozen'`);
    expect(Number(timers[0]!.n)).toBe(1);
    expect(seqsOf(onB.received)).toEqual(await loggedChanges(database));
  }, 60_000);

  it("a leader whose connection to the database breaks stops leading at once; the other takes over, and it goes on as a follower", async () => {
    const database = await freshDatabase();
    const a = await startReplica(database);
    await metricReads(a, 'lookout_leader', 1);
    const b = await startReplica(database);
    const onB = collect(b.ws(), FEED_EVENT, {});
    await metricReads(b, 'lookout_subscribers', 1);
    // PostgreSQL ends the connection that holds the leader's lock, as a network failure would.
    // This database's leader: other tests' Lookouts, on other databases of the same server, hold the same lock number.
    const [holder] = await sql<{ pid: number }>(
      database,
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 7412003 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    await sql(database, `SELECT pg_terminate_backend(${holder!.pid})`);
    await metricReads(b, 'lookout_leader', 1);
    await metricReads(a, 'lookout_leader', 0);
    // A reconnects and follows: what it writes still reaches B's subscriber, and B's reaches it.
    await speak(a, 'after-the-break', 'ASSISTANT');
    await receivedOne(onB, (event) => event.attentionChanged.session?.id === 'after-the-break');
    const onA = collect(a.ws(), FEED_EVENT, {});
    await metricReads(a, 'lookout_subscribers', 1);
    await speak(b, 'from-b', 'ASSISTANT');
    await receivedOne(onA, (event) => event.attentionChanged.session?.id === 'from-b');
    expect(await a.metric('lookout_leader')).toBe(0);
  });

  it('PostgreSQL ending every connection of a replica during writes: it keeps running, every write is answered, every acknowledged one is kept', async () => {
    const database = await freshDatabase();
    const replica = await startReplica(database);
    await metricReads(replica, 'lookout_leader', 1);
    const name = new URL(database).pathname.slice(1);
    const terminate = () => sql(database, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
    const answers: Promise<string>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 60; i++) {
        const id = `w${round}-${i}`;
        answers.push(
          speak(replica, id, 'ASSISTANT', `e-${id}`).then(
            (answer) => (answer.data?.recordSpeaker.__typename === 'MutationRecordSpeakerSuccess' ? `ok ${id}` : `refused ${JSON.stringify(answer).slice(0, 200)}`),
            (error: Error) => `failed ${error.message} ${(error.cause as { code?: string } | undefined)?.code ?? ""}`,
          ),
        );
      }
      await terminate();
    }
    const settled = await Promise.all(answers);
    // Still running (a request that failed at the HTTP level would say it died: its output is in the message).
    expect(await speak(replica, 'alive', 'ASSISTANT').then(() => 'alive', () => 'gone'), replica.output().slice(-3_000)).toBe('alive');
    expect(replica.process.exitCode).toBeNull();
    expect(replica.process.signalCode).toBeNull();
    // No request failed at the HTTP level: a write that could not be made was answered with a typed error.
    expect(settled.filter((a) => a.startsWith('failed')), replica.output().slice(-3_000)).toEqual([]);
    const acknowledged = settled.filter((a) => a.startsWith('ok ')).map((a) => a.slice(3));
    const stored = new Set((await sql<{ id: string }>(database, 'SELECT "id" FROM "Session"')).map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    // And it goes on: the next write is stored and told.
    expect((await speak(replica, 'after', 'ASSISTANT')).data?.recordSpeaker.__typename).toBe('MutationRecordSpeakerSuccess');
  }, 60_000);

  it('a token made through one replica works through the other, and revoking it through one cuts what it holds open on both', async () => {
    const database = await freshDatabase();
    const a = await startReplica(database);
    const b = await startReplica(database);
    const created = await a.gql<any>('mutation { createToken(name: "tool", scope: READ) { ... on MutationCreateTokenSuccess { data { token apiToken { id } } } } }');
    const { token, apiToken } = created.data.createToken.data;
    const socketOn = (replica: Replica) => {
      const client = createClient({ url: `${replica.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
      clients.push(client);
      const closed = new Promise<number>((resolve) => client.on('closed', (event: any) => resolve(event.code)));
      collect(client, FEED_EVENT, {});
      return closed;
    };
    // B knows the token once A's announcement arrives.
    let closedOnB: Promise<number> | undefined;
    const deadline = Date.now() + 10_000;
    while (!closedOnB) {
      const res = await fetch(`${b.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ __typename }"}' });
      if (res.status === 200) closedOnB = socketOn(b);
      else if (Date.now() > deadline) throw new Error(`B never accepted the token (${res.status})`);
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const closedOnA = socketOn(a);
    await metricReads(a, 'lookout_subscribers', 1);
    await metricReads(b, 'lookout_subscribers', 1);
    await a.gql(`mutation { revokeToken(id: "${apiToken.id}") { __typename } }`);
    expect(await closedOnA).toBe(4403);
    expect(await closedOnB).toBe(4403);
    const refused = await fetch(`${b.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ __typename }"}' });
    expect(refused.status).toBe(401);
  });
});

describe.runIf(ON_POSTGRESQL)('one write of any size on PostgreSQL', () => {
  it('stores 50,000 changes reported at once (beyond what one statement may carry), and reads them back', async () => {
    const database = await freshDatabase();
    const opened = await openDatabase(database);
    const service = new AttentionService(opened.store, { staleAfterMs: 1e12, doneForMs: 1e12, retentionMs: 1e12 });
    try {
      await service.start();
      const count = 50_000;
      const details = { agent: 'claude-code', project: 'big', cwd: '/work/big' };
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          service.report({ sessionId: `big-${i}` }, [
            { kind: 'register', details },
            { kind: 'activity', activity: { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: `Bash: step ${i}` } },
          ]),
        ),
      );
      const [counts] = await sql<{ sessions: string; events: string }>(database, 'SELECT (SELECT COUNT(*) FROM "Session") AS sessions, (SELECT COUNT(*) FROM "SessionEvent") AS events');
      expect([Number(counts!.sessions), Number(counts!.events)]).toEqual([count, 2 * count]);
      expect(service.feed()).toHaveLength(count);
    } finally {
      await service.stop();
      await opened.close();
    }
  }, 120_000);
});
