// HTTP helpers for the suite: GraphQL requests, and autocannon load with every answer checked.
import autocannon from 'autocannon';
import { now } from './children.ts';

export const GRAPHQL_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };

/** The feed as the page and tools ask for it. */
export const FEED_QUERY = `query Feed { attentionSessions {
  latestSeq
  edges { node { id title project branch host link agent state waitDetail lastEventAt attention { tier reason label detail since escalatedAt } } }
} }`;
export const FEED_BODY = JSON.stringify({ query: FEED_QUERY });

/** What a third-party tool follows: every change, with the session and its attention. */
export const SUBSCRIPTION = `subscription { attentionChanged {
  ... on AttentionChange { seq session { id title project state waitDetail lastEventAt } attention { tier reason label detail since } previous { tier reason label detail since } }
  ... on FeedResyncRequired { latestSeq reason }
} }`;

export async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: GRAPHQL_HEADERS, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, text: await res.text() };
}

/** A GraphQL operation that must succeed: errors anywhere stop the suite. */
export async function graphql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const { status, text } = await post(url, JSON.stringify({ query, variables }));
  const result = JSON.parse(text);
  if (status !== 200 || result.errors) throw new Error(`${url} answered ${status}: ${text.slice(0, 500)}`);
  return result.data;
}

/** Milliseconds each of `count` sequential requests took, one connection at a time. */
export async function sequentialLatencies(url: string, body: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = now();
    const { status } = await post(url, body);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
    latencies.push(now() - started);
  }
  return latencies;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  completed: number;
}

/** Concurrent load; any error, timeout or non-2xx answer fails the measurement. */
export async function load(
  url: string,
  options: { connections: number; seconds: number; body?: string; nextBody?: () => string },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: GRAPHQL_HEADERS,
    connections: options.connections,
    duration: options.seconds,
    body: options.body,
    requests: options.nextBody ? [{ setupRequest: (req) => ({ ...req, body: options.nextBody!() }) }] : undefined,
  });
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`Load on ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return {
    requestsPerSecond: result.requests.total / options.seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: result.requests.total,
  };
}

/** One series' value on the Lookout at `url`'s /metrics (NaN when it has none). */
export async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  return Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? NaN);
}
