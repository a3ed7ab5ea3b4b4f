// The Lookout server: a route table behind one guard, plus start and stop. Every HTTP request and
// WebSocket upgrade passes the guard (Host, Origin, body type and size, token) before its route.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import sirv from 'sirv';
import { ConfigError, type LookoutConfig } from '../config.ts';
import { answerPost } from './feed-answers.ts';
import { type LookoutOptions, type OpenLookout, openLookout } from './lookout.ts';
import { type Access, answerRefusal, Guard, refuseUpgrade } from './guard.ts';
import { CLAUDE_CODE_DECISION_PATH, CLAUDE_CODE_HOOK_PATH, CODEX_HOOK_PATH } from '../../shared/hook-wire.ts';
import { answerAgentHook, answerDecisionWait } from './hook-routes.ts';
import { CLAUDE_CODE, CODEX } from '../hooks/agent-hooks.ts';
import type { AttentionService } from '../attention/service.ts';
import type { SameHostChecks } from '../hooks/same-host.ts';
import { lookoutVersion, PROJECT_ROOT } from '../../shared/paths.ts';
import type { Principal } from '../tokens/scopes.ts';
import { createGraphqlWebSocket } from './websocket.ts';
import { ANSWER_PATH, showAnswerLink, useAnswerLink } from './answer-page.ts';
import { readBody } from './read-body.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
const CLIENT_DIST = path.join(PROJECT_ROOT, 'client', 'dist');
const SHUTDOWN_GRACE_MS = 5_000;

export interface LookoutServerOptions extends LookoutOptions {
  /** How often graphql-ws pings each socket; one that does not answer by the next ping is closed. */
  keepAliveMs?: number;
}

export interface RunningLookout {
  url: string;
  port: number;
  attention: AttentionService;
  sameHost: SameHostChecks;
  /** Not ready for `ms`, still serving: before `stop` when a process manager asks it to end. */
  drain(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** A route's answer; `principal` is who the guard let through (absent on routes that hold no data). */
type Handler = (req: IncomingMessage, res: ServerResponse, principal?: Principal) => unknown;

interface Route {
  /** Which requests the route answers; the first that matches does. */
  matches(req: IncomingMessage, path: string): boolean;
  /** What the guard asks of them. */
  access: Access;
  handle: Handler;
}

/** GraphQL: any known principal; each field then needs its own scope. */
const ANY_PRINCIPAL: Access = { needs: 'any' };
/** Agents' hooks: report. */
const REPORTS: Access = { needs: 'report' };
const HOLDS_NO_DATA: Access = { needs: null };
/** Monitoring: read. */
const READS: Access = { needs: 'read' };
/** Answer links: the link is the capability (checked by its signature), not a token. */
const LINK_HOLDS_CAPABILITY: Access = { needs: null };
/** Slack's interactions: a form, signed by Slack (checked before it is read). */
const SIGNED_BY_SLACK: Access = { needs: null, body: 'form' };
const SLACK_INTERACTIONS_PATH = '/slack/interactions';
const GRAPHQL_PATH = '/graphql';

const accepts = (req: IncomingMessage, pattern: RegExp) => pattern.test(req.headers.accept ?? '');
const isRead = (req: IncomingMessage) => req.method === 'GET' || req.method === 'HEAD';

export async function startLookout(config: LookoutConfig, options: LookoutServerOptions = {}): Promise<RunningLookout> {
  const lookout = await openLookout(config, options);
  try {
    return await serve(lookout, config, options);
  } catch (error) {
    await lookout.close();
    throw error;
  }
}

/** Serves an opened Lookout over HTTP and WebSocket; its `stop` lets requests in flight finish, then closes it all. */
async function serve(lookout: OpenLookout, config: LookoutConfig, options: LookoutServerOptions): Promise<RunningLookout> {
  const { attention, tokens, yoga, metrics, feedAnswers, readiness, refusedHooks, sameHost, links, chatPresses } = lookout;
  const server = createServer();
  let port = 0;
  const guard = new Guard({
    listenHost: config.host,
    port: () => port,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    token: config.token,
    tokens,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  const webSocket = createGraphqlWebSocket(yoga, guard, tokens, { maxPayloadBytes: MAX_BODY_BYTES, keepAliveMs: options.keepAliveMs });

  const routes: Route[] = [
    {
      matches: (_req, path) => path === CLAUDE_CODE_HOOK_PATH,
      access: REPORTS,
      handle: metrics.timeHook('claude-code', (req, res, principal?: Principal) => answerAgentHook(req, res, attention, CLAUDE_CODE, principal!)),
    },
    {
      matches: (_req, path) => path === CODEX_HOOK_PATH,
      access: REPORTS,
      handle: metrics.timeHook('codex', (req, res, principal?: Principal) => answerAgentHook(req, res, attention, CODEX, principal!)),
    },
    { matches: (_req, path) => path === CLAUDE_CODE_DECISION_PATH, access: REPORTS, handle: (req, res, principal) => answerDecisionWait(req, res, attention, principal!) },
    // GraphiQL's page holds no data and lets the user enter the token; every operation needs it.
    { matches: (req, path) => path === GRAPHQL_PATH && isRead(req) && accepts(req, /text\/html/), access: HOLDS_NO_DATA, handle: (req, res) => yoga(req, res) },
    // A plain POST may be answered from a kept feed answer; streamed answers (SSE, multipart) are yoga's.
    {
      matches: (req, path) => path === GRAPHQL_PATH && req.method === 'POST' && !accepts(req, /text\/event-stream|multipart\/mixed/),
      access: ANY_PRINCIPAL,
      handle: answerPost(yoga, feedAnswers),
    },
    { matches: (_req, path) => path === GRAPHQL_PATH, access: ANY_PRINCIPAL, handle: (req, res, principal) => yoga(req, res, { principal }) },
    // An answer link opened on a phone: GET shows it, POST (its page's button, ntfy's) answers once.
    { matches: (req, path) => ANSWER_PATH.test(path) && isRead(req), access: LINK_HOLDS_CAPABILITY, handle: (_req, res) => showAnswerLink(res, links, tokenOf(_req)) },
    { matches: (req, path) => ANSWER_PATH.test(path) && req.method === 'POST', access: LINK_HOLDS_CAPABILITY, handle: (req, res) => useAnswerLink(req, res, links, tokenOf(req)) },
    {
      matches: (req, path) => path === SLACK_INTERACTIONS_PATH && req.method === 'POST',
      access: SIGNED_BY_SLACK,
      handle: async (req, res) => {
        const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
        const status = chatPresses.slackInteraction({ timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') }, await readBody(req));
        res.writeHead(status).end();
      },
    },
    // Probes for a process manager or a load balancer: alive, and ready to serve. They hold no data.
    { matches: (req, path) => path === '/healthz' && isRead(req), access: HOLDS_NO_DATA, handle: (_req, res) => answerJson(res, 200, { status: 'alive', version: lookoutVersion() }) },
    {
      matches: (req, path) => path === '/readyz' && isRead(req),
      access: HOLDS_NO_DATA,
      handle: (_req, res) => {
        const found = readiness.problems();
        answerJson(res, found.length ? 503 : 200, found.length ? { status: 'not ready', problems: found } : { status: 'ready' });
      },
    },
    // For monitoring: counts, no session's data; behind the token like the feed.
    { matches: (req, path) => path === '/metrics' && isRead(req), access: READS, handle: (_req, res) => metrics.answer(res) },
    // The feed page: static files that hold no data (it asks for the token itself).
    { matches: (req) => isRead(req), access: HOLDS_NO_DATA, handle: pageServer() },
  ];

  /** The request's route, and the guard's verdict on it (a request no route takes counts as holding data). */
  const admit = (req: IncomingMessage) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.find((r) => r.matches(req, path));
    return { path, route, verdict: guard.check(req, route?.access ?? ANY_PRINCIPAL) };
  };

  /** Ordinary requests in flight, each settled when its response closes: shutdown waits for them. */
  const inFlight = new Set<Promise<void>>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const { path, route, verdict } = admit(req);
    // A hook refused for its token is counted, so that the page can say its hooks are being refused.
    const address = req.socket.remoteAddress ?? 'unknown';
    if (route?.access === REPORTS) {
      if (!verdict.pass && (verdict.status === 401 || verdict.status === 403)) refusedHooks.refused(address, verdict.status);
      else if (verdict.pass) refusedHooks.accepted(address);
    }
    if (!verdict.pass) return answerRefusal(req, res, verdict);
    for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
    if (!route) return reply(res, 404, `Nothing at ${req.method} ${path}.`);
    // Shutdown waits for ordinary requests; SSE streams never finish by themselves and are cut.
    if (!accepts(req, /text\/event-stream/)) {
      const closed = new Promise<void>((resolve) => res.once('close', resolve));
      inFlight.add(closed);
      void closed.then(() => inFlight.delete(closed));
    }
    // A request lives no longer than its token: revoking it cuts what it holds open (a stream, a hook's wait for a decision).
    if (verdict.principal?.tokenId) {
      const tokenId = verdict.principal.tokenId;
      const cut = tokens.onRevoked((revoked) => revoked === tokenId && res.destroy());
      res.once('close', cut);
    }
    try {
      await route.handle(req, res, verdict.principal);
    } catch (error) {
      console.error(`Answering ${req.method} ${path} failed:`, error);
      if (!res.headersSent) reply(res, 500, 'Unexpected error.');
      else res.end();
    }
  };
  server.on('request', handle);
  // A client that waits for "100 Continue" before sending its body hears a refusal without sending it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const { verdict } = admit(req);
    if (!verdict.pass) {
      res.writeHead(verdict.status, { ...verdict.headers, connection: 'close' });
      return res.end();
    }
    res.writeContinue();
    void handle(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const verdict = guard.checkUpgrade(req);
    if (!verdict.pass) return refuseUpgrade(socket, verdict);
    if ((req.url ?? '/').split('?')[0] !== GRAPHQL_PATH) {
      return refuseUpgrade(socket, { pass: false, status: 404, headers: {}, message: `WebSockets are served on ${GRAPHQL_PATH} only.` });
    }
    webSocket.upgrade(req, socket, head);
  });

  await listen(server, config);
  const closed = new Promise((resolve) => server.once('close', resolve));
  port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      server.close(); // no new connections
      await webSocket.dispose(); // closes every socket with 1001 Going Away
      attention.releaseDecisionWaiters(); // hooks waiting for an answer get none: their terminal dialog goes on
      server.closeIdleConnections();
      // Requests in flight finish, for a while; then everything stops, the latest started first.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(inFlight), new Promise((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
      clearTimeout(grace);
      server.closeAllConnections();
      await closed;
      await lookout.close();
    })());

  /** Says "not ready" on /readyz for `ms` while serving as ever, so that a load balancer stops sending first. */
  const drain = async (ms: number) => {
    readiness.drain();
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  };

  return { url: `http://${host}:${port}${GRAPHQL_PATH}`, port, attention, sameHost, drain, stop };
}

const tokenOf = (req: IncomingMessage) => ANSWER_PATH.exec((req.url ?? '/').split('?')[0]!)![1]!;

function answerJson(res: ServerResponse, status: number, body: object) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function reply(res: ServerResponse, status: number, message: string) {
  answerJson(res, status, { errors: [{ message }] });
}

/** Vite names assets by content hash: they are cached for good, and the page itself never. */
function pageServer(): Handler {
  if (!existsSync(CLIENT_DIST)) {
    return (req, res) =>
      req.url === '/' ? res.end('The feed page is not built yet: run `npm run build`, or use GraphiQL at /graphql.') : reply(res, 404, 'Not found.');
  }
  const serve = sirv(CLIENT_DIST, {
    etag: true,
    setHeaders: (res, pathname) => res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  return (req, res) => serve(req, res, () => reply(res, 404, 'Not found.'));
}

/** Listens, or says in one line what to change. */
function listen(server: ReturnType<typeof createServer>, config: LookoutConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const problem: Record<string, string> = {
        EADDRINUSE: `Port ${config.port} is in use: set PORT to a free one (0 picks any).`,
        EACCES: `Port ${config.port} needs privileges this user lacks: set PORT to one above 1023.`,
        EADDRNOTAVAIL: `${config.host} is not an address of this machine: set HOST.`,
      };
      reject(problem[error.code ?? ''] ? new ConfigError(problem[error.code!]!) : error);
    });
    server.listen(config.port, config.host, () => resolve());
  });
}
