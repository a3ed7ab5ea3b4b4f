// graphql-ws on /graphql: the live feed's transport. The guard has checked the upgrade (Host,
// Origin); the token comes in the connection's first message, since browsers cannot set headers on
// a WebSocket, and is checked by the same guard.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type execute as graphqlExecute, GraphQLError, type subscribe as graphqlSubscribe } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Guard } from './guard.ts';
import type { Principal } from '../tokens/scopes.ts';
import type { Tokens } from '../tokens/tokens.ts';
import { inputProblem, inputProblemMessage } from './well-formed-text.ts';
import { TurnBatchedWebSocket } from './turn-batched-socket.ts';
import type { LookoutYoga } from './yoga.ts';

const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;

export interface GraphqlWebSocketOptions {
  maxPayloadBytes: number;
  /** How often graphql-ws pings each socket; one that does not answer by the next ping is closed. */
  keepAliveMs?: number;
}

function bearerFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const value = params?.authorization ?? params?.Authorization;
  if (typeof value === 'string') return value;
  return typeof params?.token === 'string' ? `Bearer ${params.token}` : null;
}

/** What graphql-ws keeps for each socket: who opened it. */
interface SocketExtra extends Record<PropertyKey, unknown> {
  socket: import('ws').WebSocket;
  request: IncomingMessage;
  principal?: Principal;
}

export function createGraphqlWebSocket(yoga: LookoutYoga, guard: Guard, tokens: Tokens, options: GraphqlWebSocketOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, WebSocket: TurnBatchedWebSocket });
  // A revoked token's sockets are closed at once.
  const byToken = new Map<string, Set<import('ws').WebSocket>>();
  tokens.onRevoked((tokenId) => {
    for (const socket of byToken.get(tokenId) ?? []) socket.close(4403, 'Forbidden: the token was revoked');
    byToken.delete(tokenId);
  });
  const server = useServer<Record<string, unknown>, SocketExtra>(
    {
      execute: (args) => (args.rootValue as { execute: typeof graphqlExecute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof graphqlSubscribe }).subscribe(args),
      onConnect: (ctx) => {
        const principal = guard.principal(bearerFrom(ctx.connectionParams));
        if (!principal) return false;
        ctx.extra.principal = principal;
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
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal: ctx.extra.principal,
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
  return {
    /** Takes over an upgrade the guard let through. */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Closes every socket with 1001 Going Away. */
    dispose: () => server.dispose(),
  };
}
