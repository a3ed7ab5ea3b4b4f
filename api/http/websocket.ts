// graphql-ws on /graphql: the live feed's transport. The guard has checked the upgrade (Host,
// Origin); the token comes in the connection's first message, since browsers cannot set headers on
// a WebSocket, and is checked by the same guard.
//
// graphql-ws's protocol (`makeServer`) on ws sockets, wired here rather than by graphql-ws's
// `useServer`, for what a thousand pages cost (`npm run bench`, delivery): one keep-alive timer and
// one timer for sockets yet to say who they are, for all sockets, instead of timers and a pong
// listener per socket; the upgrade request not kept for the socket's life (the guard has read it);
// a message handed on as text, so that the bytes of each subscribe message are not held while its
// subscription lasts; and a result serialized once for every socket (`shared-payloads.ts`).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type execute as graphqlExecute, type FormattedExecutionResult, GraphQLError, type subscribe as graphqlSubscribe } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Guard } from './guard.ts';
import type { Principal } from '../tokens/scopes.ts';
import type { Tokens } from '../tokens/tokens.ts';
import { inputProblem, inputProblemMessage } from './well-formed-text.ts';
import { placeholderFor, serializedOnce, withResult } from './shared-payloads.ts';
import { TurnBatchedWebSocket } from './turn-batched-socket.ts';
import type { LookoutYoga } from './yoga.ts';

const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
/** How often each socket is pinged when the server does not say (graphql-ws's own default). */
const KEEP_ALIVE_MS = 12_000;
/** How long a new socket may take to say who it is (graphql-ws's own default). */
const INIT_WAIT_MS = 3_000;

export interface GraphqlWebSocketOptions {
  maxPayloadBytes: number;
  /** How often each socket is pinged; one that has not answered by the next ping is closed. */
  keepAliveMs?: number;
}

function bearerFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const value = params?.authorization ?? params?.Authorization;
  if (typeof value === 'string') return value;
  return typeof params?.token === 'string' ? `Bearer ${params.token}` : null;
}

/** What graphql-ws keeps for each socket: who opened it. */
interface SocketExtra extends Record<PropertyKey, unknown> {
  socket: LookoutSocket;
  principal?: Principal;
}

/** A feed socket; `answered`: it answered the last ping (or has not been pinged yet). */
class LookoutSocket extends TurnBatchedWebSocket {
  answered = true;
}

/** Listeners shared by every socket (`this` is the socket): nothing is made per socket for them. */
function answeredPing(this: WebSocket) {
  (this as LookoutSocket).answered = true;
}
function failed(this: WebSocket, error: Error) {
  console.error('A feed socket failed:', error);
  this.close(CloseCode.InternalServerError, 'Internal server error');
}

export function createGraphqlWebSocket(yoga: LookoutYoga, guard: Guard, tokens: Tokens, options: GraphqlWebSocketOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, WebSocket: LookoutSocket, handleProtocols });
  // A revoked token's sockets are closed at once.
  const byToken = new Map<string, Set<WebSocket>>();
  tokens.onRevoked((tokenId) => {
    for (const socket of byToken.get(tokenId) ?? []) socket.close(4403, 'Forbidden: the token was revoked');
    byToken.delete(tokenId);
  });
  // Sockets that have not yet said who they are, by when they must have, oldest first; checked by
  // one timer while there are any (graphql-ws's own timer per socket stayed held for its life).
  const awaitingInit = new Map<LookoutSocket, number>();
  let initCheck: NodeJS.Timeout | undefined;
  const checkInit = () => {
    const now = Date.now();
    for (const [socket, deadline] of awaitingInit) {
      if (deadline > now) return;
      awaitingInit.delete(socket);
      socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }
    clearInterval(initCheck);
    initCheck = undefined;
  };
  const server = makeServer<Record<string, unknown>, SocketExtra>(
    {
      connectionInitWaitTimeout: 0,
      execute: (args) => (args.rootValue as { execute: typeof graphqlExecute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof graphqlSubscribe }).subscribe(args),
      onNext: (_ctx, _id, _payload, _args, result) => serializedOnce(result) as FormattedExecutionResult,
      jsonMessageReplacer: placeholderFor,
      onConnect: (ctx) => {
        awaitingInit.delete(ctx.extra.socket);
        const principal = guard.principal(bearerFrom(ctx.connectionParams));
        if (!principal) return false;
        ctx.extra.principal = principal;
        // graphql-ws keeps a socket's operations by the ids its client chose (random ones, for
        // graphql-ws's client): in a plain object each new id made a new hidden class, ~0.6 KiB per
        // subscription. An object in dictionary mode from the start keeps them as a table.
        (ctx as { subscriptions: object }).subscriptions = Object.create(null);
        if (principal.tokenId) {
          const { tokenId } = principal;
          const sockets = byToken.get(tokenId) ?? new Set();
          byToken.set(tokenId, sockets.add(ctx.extra.socket));
          ctx.extra.socket.once('close', () => sockets.delete(ctx.extra.socket));
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already reserved this operation's slot.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} operations at once on one connection.`)];
        }
        const problem = inputProblem({ query: payload.query, operationName: payload.operationName, variables: payload.variables, extensions: payload.extensions });
        if (problem) return [new GraphQLError(inputProblemMessage(problem), { extensions: { code: 'BAD_USER_INPUT' } })];
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ principal: ctx.extra.principal });
        try {
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length) return errors;
          // graphql-ws keeps the message for as long as its subscription lasts: its query's text is
          // the parsed document's (yoga keeps one per distinct query), not a copy per subscriber.
          if (document.loc?.source.body === payload.query) (payload as { query: string }).query = document.loc.source.body;
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
  );
  wss.on('connection', (socket: LookoutSocket) => {
    awaitingInit.set(socket, Date.now() + INIT_WAIT_MS);
    initCheck ??= setInterval(checkInit, INIT_WAIT_MS / 10).unref();
    socket.once('error', failed);
    socket.on('pong', answeredPing);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          const message = withResult(data);
          return new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(message, (error) => (error ? reject(error) : resolve()));
          });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (received) =>
          socket.on('message', (data) => {
            received(String(data)).catch((error) => {
              console.error('A feed socket message failed:', error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket },
    );
    socket.once('close', (code, reason) => {
      awaitingInit.delete(socket);
      void closed(code, String(reason));
    });
  });
  // A socket that has not answered the last ping by the next one is gone: closed without a goodbye.
  const keepAlive = setInterval(() => {
    for (const socket of wss.clients as Set<LookoutSocket>) {
      if (socket.readyState !== socket.OPEN) continue;
      if (!socket.answered) {
        socket.terminate();
        continue;
      }
      socket.answered = false;
      socket.ping();
    }
  }, options.keepAliveMs ?? KEEP_ALIVE_MS);
  keepAlive.unref();
  return {
    /** Takes over an upgrade the guard let through. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Closes every socket with 1001 Going Away. */
    async dispose() {
      clearInterval(keepAlive);
      clearInterval(initCheck);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
