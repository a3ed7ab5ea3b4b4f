// Test harness: the real server on port 0 over a real SQLite file, real HTTP and graphql-ws clients.
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createClient, type Client } from 'graphql-ws';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../api/config.ts';
import { type LookoutServerOptions, type RunningLookout, startLookout } from '../api/server.ts';

export async function freshDatabase(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-test-'));
  const file = path.join(dir, 'lookout.db');
  await copyFile(inject('templateDatabase'), file);
  return file;
}

/** How many sessions and log entries the file holds: what a refused request must leave as it was. */
export function countRows(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const sessions = (db.prepare('SELECT COUNT(*) AS n FROM Session').get() as { n: number }).n;
    const events = (db.prepare('SELECT COUNT(*) AS n FROM SessionEvent').get() as { n: number }).n;
    return { sessions, events };
  } finally {
    db.close();
  }
}

export interface TestServer extends RunningLookout {
  file: string;
  token?: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  wsClient(connectionParams?: Record<string, unknown>): Client;
}

export async function startServer(
  env: Record<string, string> = {},
  options: LookoutServerOptions & { file?: string } = {},
): Promise<TestServer> {
  const file = options.file ?? (await freshDatabase());
  const config = loadConfig({ PORT: '0', DATABASE_URL: `file:${file}`, ...env });
  const lookout = await startLookout(config, options);
  const auth: Record<string, string> = config.token ? { authorization: `Bearer ${config.token}` } : {};
  const clients: Client[] = [];
  return {
    ...lookout,
    file,
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
 * Claude Code's PermissionRequest through the http hook, as the installed hook reports it: a prompt
 * whose hook waits for an answer, so it can be answered from Lookout. The session's project is `shop`.
 */
export async function askPermission(server: TestServer, sessionId: string, command: string): Promise<void> {
  const res = await fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(server.token ? { authorization: `Bearer ${server.token}` } : {}) },
    body: JSON.stringify({ session_id: sessionId, hook_event_name: 'PermissionRequest', cwd: '/work/shop', tool_name: 'Bash', tool_input: { command }, lookout: { eventId: `ask-${sessionId}` } }),
  });
  if (res.status !== 204) throw new Error(`The hook was answered ${res.status}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
