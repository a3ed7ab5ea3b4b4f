// The Lookout server: wires the attention service to its transports (GraphQL over HTTP, graphql-ws
// and SSE on /graphql), with the same token rule on all three, and shuts them down in order.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin } from 'graphql-yoga';
import sirv from 'sirv';
import { WebSocketServer } from 'ws';
import { AttentionService } from './attention/service.ts';
import { isAuthorized, unauthorizedResponse } from './auth.ts';
import { CLAUDE_CODE_HOOK_PATH, handleClaudeCodeHook } from './hooks/http.ts';
import { answerKey, type FeedAnswerNote, FeedAnswers } from './feed-answers.ts';
import { readBody } from './read-body.ts';
import { useSharedSubscriptions } from './shared-subscriptions.ts';
import type { LookoutConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import type { Context } from './schema/builder.ts';
import { schema } from './schema/index.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
const CLIENT_DIST = new URL('../client/dist', import.meta.url).pathname;
const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
const SHUTDOWN_GRACE_MS = 5_000;

export interface LookoutServerOptions {
  /** How often graphql-ws pings each socket; one that does not answer by the next ping is closed. */
  keepAliveMs?: number;
  /** Live events a subscriber may fall behind before it is told to resync. */
  subscriberBuffer?: number;
}

export interface RunningLookout {
  url: string;
  port: number;
  attention: AttentionService;
  stop(): Promise<void>;
}

/**
 * Armor throws its rejections, which yoga would answer with 200. They are the client's fault: mark
 * them 400. (A token-limit rejection happens while parsing, where yoga follows GraphQL over HTTP:
 * 400 for application/graphql-response+json, 200 for a client that accepts only application/json.)
 */
const rejectAsBadRequest = (_ctx: unknown, error: GraphQLError) => {
  (error.extensions as Record<string, unknown>).http = { status: 400 };
};
const armorLimit = { onReject: [rejectAsBadRequest], propagateOnRejection: true };

export async function startLookout(config: LookoutConfig, options: LookoutServerOptions = {}): Promise<RunningLookout> {
  const { db, store, close: closeDatabase } = await openDatabase(config.databaseFile);
  const attention = new AttentionService(store, {
    staleAfterMs: config.staleAfterMs,
    doneForMs: config.doneForMs,
    retentionMs: config.retentionMs,
    subscriberBuffer: options.subscriberBuffer,
  });
  attention.start();
  const context: Context = { db, attention };
  const feedAnswers = new FeedAnswers(() => attention.latestSeq);

  const requireToken: Plugin = {
    onRequest({ request, endResponse }) {
      // The GraphiQL page holds no data and lets the user enter the token; every operation needs it.
      const wantsGraphiQL = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
      if (!wantsGraphiQL && !isAuthorized(config.token, request.headers.get('authorization'))) {
        endResponse(unauthorizedResponse());
      }
    },
  };

  const yoga = createYoga({
    schema,
    context: () => context,
    graphiql: { title: 'Lookout', subscriptionsProtocol: 'WS' },
    // GraphiQL bundled in the page, not fetched from a CDN: it works offline and behind firewalls.
    renderGraphiQL,
    landingPage: false,
    logging: 'warn',
    plugins: [
      requireToken,
      feedAnswers.plugin,
      useSharedSubscriptions(),
      EnvelopArmorPlugin({
        maxDepth: { n: 10, ...armorLimit },
        maxAliases: { n: 15, ...armorLimit },
        maxDirectives: { n: 20, ...armorLimit },
        maxTokens: { n: 2000, ...armorLimit },
        costLimit: { maxCost: 5000, ...armorLimit },
        blockFieldSuggestion: { enabled: true },
      }),
    ],
  });

  // The feed page: static files that hold no data (it asks for the token itself), so no token here.
  const servePage = existsSync(CLIENT_DIST)
    ? sirv(CLIENT_DIST, {
        etag: true,
        // Vite names assets by content hash: cache them for good, and the page itself never.
        setHeaders: (res, pathname) =>
          res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
      })
    : (req: IncomingMessage, res: ServerResponse, next: () => void) =>
        req.url === '/' ? res.end('The feed page is not built yet: run `npm run build`, or use GraphiQL at /graphql.') : next();

  let activeRequests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && !req.url?.startsWith(yoga.graphqlEndpoint)) {
      return servePage(req, res, () => void yoga(req, res));
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES || (req.headers['transfer-encoding'] && !req.headers['content-length'])) {
      const status = length > MAX_BODY_BYTES ? 413 : 411;
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: status === 413 ? 'Request body is larger than 1 MB.' : 'Send a Content-Length.' }] }));
      req.resume();
      return;
    }
    // Shutdown waits for ordinary requests; SSE streams never finish by themselves and are cut.
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      activeRequests++;
      res.once('close', () => activeRequests--);
    }
    if (req.url?.split('?')[0] === CLAUDE_CODE_HOOK_PATH) return void hookRequest(req, res);
    // Streamed answers (SSE, multipart) go to yoga as they are; a plain POST may be a kept feed answer.
    const streamed = /text\/event-stream|multipart\/mixed/.test(req.headers.accept ?? '');
    if (req.method === 'POST' && !streamed) return void graphqlPost(req, res);
    void yoga(req, res);
  });

  const graphqlPost = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const body = await readBody(req);
      const key = answerKey(req, body);
      if (isAuthorized(config.token, req.headers.authorization) && feedAnswers.answer(key, res)) return;
      const headers = new yoga.fetchAPI.Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      const note: FeedAnswerNote = {};
      const response = await yoga.fetch(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: 'POST', headers, body }, { feedAnswer: note });
      const answer = Buffer.from(await response.arrayBuffer());
      feedAnswers.keep(key, note, response, answer);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(answer);
    } catch (error) {
      console.error('Answering a GraphQL request failed:', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    }
  };

  const hookRequest = async (req: IncomingMessage, res: ServerResponse) => {
    if (!isAuthorized(config.token, req.headers.authorization)) {
      const denied = unauthorizedResponse();
      res.writeHead(denied.status, Object.fromEntries(denied.headers));
      return res.end(await denied.text());
    }
    try {
      await handleClaudeCodeHook(req, res, attention);
    } catch (error) {
      console.error('Recording a hook failed:', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Unexpected error.' }));
    }
  };

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: MAX_BODY_BYTES });
  const wsServer = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
      onConnect: (ctx) => isAuthorized(config.token, bearerFrom(ctx.connectionParams)),
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already reserved this operation's slot.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} operations at once on one connection.`)];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        try {
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length) return errors;
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
    },
    wss,
    options.keepAliveMs,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      await wsServer.dispose(); // closes every socket with 1001 Going Away
      server.closeIdleConnections();
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (activeRequests > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      attention.stop();
      server.closeAllConnections();
      await closed;
      await closeDatabase();
    })());

  return { url: `http://${host}:${port}${yoga.graphqlEndpoint}`, port, attention, stop };
}

function bearerFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const value = params?.authorization ?? params?.Authorization;
  if (typeof value === 'string') return value;
  return typeof params?.token === 'string' ? `Bearer ${params.token}` : null;
}
