// Test harness: the real server on port 0 over a real database, real HTTP and graphql-ws clients.
// The suite runs twice (vitest.config.ts): on a SQLite file, and on PostgreSQL
// (LOOKOUT_TEST_DATABASE=postgresql), each test on a fresh copy of a migrated template.
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../api/config.ts';
import { type LookoutServerOptions, type RunningLookout, startLookout } from '../api/http/server.ts';

export const ON_POSTGRESQL = process.env.LOOKOUT_TEST_DATABASE === 'postgresql';
let copies = 0;

/** A new database, migrated: a `file:` location, or a `postgresql://` URL on PostgreSQL's run. */
export async function freshDatabase(): Promise<string> {
  const template = inject('templateDatabase');
  if (ON_POSTGRESQL) {
    const url = new URL(template);
    const name = `${url.pathname.slice(1).replace(/_template$/, '')}_${process.pid}_${++copies}`;
    await adminQuery(template, `CREATE DATABASE "${name}" TEMPLATE "${url.pathname.slice(1)}"`);
    url.pathname = `/${name}`;
    return url.toString();
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-test-'));
  const file = path.join(dir, 'lookout.db');
  await copyFile(template, file);
  return `file:${file}`;
}

/** Runs one statement on the server's `postgres` database (creating and dropping databases). */
export async function adminQuery(someDatabase: string, statement: string): Promise<void> {
  const url = new URL(someDatabase);
  url.pathname = '/postgres';
  // Copies of one template are made one at a time: PostgreSQL refuses a copy while another reads it.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(statement);
      return;
    } catch (error) {
      if (!/being accessed by other users/.test((error as Error).message) || attempt > 50) throw error;
    } finally {
      await client.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
  }
}

/** Runs SQL (identifiers quoted, no parameters) on the database directly, as another program would: its rows. */
export async function sql<T = Record<string, unknown>>(database: string, statement: string): Promise<T[]> {
  if (database.startsWith('file:')) {
    const db = new Database(database.slice('file:'.length));
    try {
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all() as T[];
      prepared.run();
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Everything the database holds, as text: the SQLite file's bytes, or every row of every table. */
export async function everythingStored(database: string): Promise<string> {
  if (database.startsWith('file:')) return (await readFile(database.slice('file:'.length))).toString('latin1');
  const tables = await sql<{ name: string }>(database, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
  const rows = await Promise.all(tables.map(({ name }) => sql(database, `SELECT * FROM "${name}"`)));
  return JSON.stringify(rows);
}

/** How many sessions and log entries the database holds: what a refused request must leave as it was. */
export async function countRows(database: string) {
  const [counts] = await sql<{ sessions: number; events: number }>(
    database,
    'SELECT (SELECT COUNT(*) FROM "Session") AS "sessions", (SELECT COUNT(*) FROM "SessionEvent") AS "events"',
  );
  return { sessions: Number(counts!.sessions), events: Number(counts!.events) };
}

export interface TestServer extends RunningLookout {
  /** Where its data is: a `file:` location or a `postgresql://` URL. */
  database: string;
  token?: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  wsClient(connectionParams?: Record<string, unknown>): Client;
}

export async function startServer(
  env: Record<string, string> = {},
  options: LookoutServerOptions & { database?: string } = {},
): Promise<TestServer> {
  const database = options.database ?? (await freshDatabase());
  const config = loadConfig({ PORT: '0', DATABASE_URL: database, ...env });
  const lookout = await startLookout(config, options);
  const auth: Record<string, string> = config.token ? { authorization: `Bearer ${config.token}` } : {};
  const clients: Client[] = [];
  return {
    ...lookout,
    database,
    token: config.token,
    async gql(query, variables, headers) {
      const res = await fetch(lookout.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...auth, ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      return res.json() as never;
    },
    wsClient(connectionParams = config.token ? { authorization: `Bearer ${config.token}` } : {}) {
      const client = createClient({
        url: lookout.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await lookout.stop();
    },
  };
}

/** Collects a subscription's results; `next(n)` waits until n have arrived. */
export function collect<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const received: T[] = [];
  const errors: unknown[] = [];
  let waiter: (() => void) | undefined;
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) received.push(result.data as T);
        waiter?.();
      },
      error: (error) => {
        errors.push(error);
        waiter?.();
      },
      complete: () => {},
    },
  );
  return {
    received,
    errors,
    unsubscribe,
    async next(count: number, timeoutMs = 5_000): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && errors.length === 0) {
        if (Date.now() > deadline) throw new Error(`Expected ${count} events, got ${received.length}: ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 50);
        });
      }
      if (errors.length) throw new Error(`Subscription failed: ${JSON.stringify(errors)}`);
      return received.slice(0, count);
    },
  };
}

/** Waits until `count` feed streams listen live: a subscription is set up once its stream listens. */
export async function subscribersListening(server: TestServer, count: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.attention.subscriberCount < count) {
    if (Date.now() > deadline) throw new Error(`Expected ${count} live subscribers, have ${server.attention.subscriberCount}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Claude Code's PermissionRequest, as the installed hook reports it, and the hook then waiting for an
 * answer from Lookout, which it says it received: a prompt that can be answered from Lookout. The
 * session's project is `shop`. Resolves once the hook waits.
 */
export async function askPermission(server: TestServer, sessionId: string, command: string | { tool_name: string; tool_input: Record<string, unknown> }): Promise<void> {
  const origin = server.url.replace(/\/graphql$/, '');
  const headers = { 'content-type': 'application/json', ...(server.token ? { authorization: `Bearer ${server.token}` } : {}) };
  const res = await fetch(`${origin}/hooks/claude-code`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      session_id: sessionId,
      hook_event_name: 'PermissionRequest',
      cwd: '/work/shop',
      ...(typeof command === 'string' ? { tool_name: 'Bash', tool_input: { command } } : command),
      lookout: { eventId: `ask-${sessionId}` },
    }),
  });
  if (res.status !== 204) throw new Error(`The hook was answered ${res.status}`);
  const requestId = `${sessionId}:ask-${sessionId}`;
  const waiting = server.attention.decisionWaitCount;
  void fetch(`${origin}/hooks/claude-code/decision`, { method: 'POST', headers, body: JSON.stringify({ requestId }) })
    .then(async (answer) => {
      if (answer.status === 200) await fetch(`${origin}/hooks/claude-code/decision`, { method: 'POST', headers, body: JSON.stringify({ requestId, received: true }) });
    })
    .catch(() => {});
  const deadline = Date.now() + 10_000;
  while (server.attention.decisionWaitCount === waiting) {
    if (Date.now() > deadline) throw new Error(`The hook for ${requestId} never came to wait for an answer`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The feed received nothing beyond its first `count` events: a marker change it hears (`mark`, on
 * session `markerId`) is made, and it must arrive next. A subscriber hears changes in log order, so
 * anything else owed to it would come first: no waiting for time to pass.
 */
export async function nothingMoreThan(feed: ReturnType<typeof collect<any>>, count: number, markerId: string, mark: () => Promise<unknown>): Promise<void> {
  await mark();
  const events = await feed.next(count + 1);
  if (events[count]?.attentionChanged?.session?.id !== markerId) {
    throw new Error(`Expected only ${count} events before the marker "${markerId}", got: ${JSON.stringify(feed.received)}`);
  }
}

export const FEED_EVENT = /* GraphQL */ `
  subscription Feed($after: Int, $project: String, $minTier: AttentionTier) {
    attentionChanged(after: $after, project: $project, minTier: $minTier) {
      __typename
      ... on AttentionChange {
        seq
        session { id project state }
        attention { tier reason label since }
        previous { tier reason }
      }
      ... on FeedResyncRequired { latestSeq reason }
    }
  }
`;

export const RECORD_SPEAKER = /* GraphQL */ `
  mutation Speak($input: RecordSpeakerInput!) {
    recordSpeaker(input: $input) {
      __typename
      ... on MutationRecordSpeakerSuccess { data { id attention { reason } } }
      ... on InputValidationError { issues { path message } }
    }
  }
`;

export const RECORD_ACTIVITY = /* GraphQL */ `
  mutation Act($input: RecordActivityInput!) {
    recordActivity(input: $input) {
      __typename
      ... on MutationRecordActivitySuccess { data { id state attention { reason } } }
      ... on Error { message }
      ... on InputValidationError { issues { path message } }
    }
  }
`;

export const FEED = /* GraphQL */ `
  query Feed($tier: AttentionTier, $project: String) {
    attentionSessions(tier: $tier, project: $project) {
      edges { node { id title project state waitDetail attention { tier reason label since } } }
    }
    attentionSummary { needsYou inFocus total }
  }
`;
