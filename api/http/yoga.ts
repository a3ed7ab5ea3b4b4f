// The GraphQL server behind every transport (HTTP, SSE and graphql-ws): the schema, its limits and
// the plugins that keep it fast. The guard in front of it has already checked who is asking.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createServerAdapter } from '@whatwg-node/server';
import { createGraphQLError, type Plugin, YogaServer, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import type { FeedAnswerNote, FeedAnswers } from './feed-answers.ts';
import type { Context } from '../schema/builder.ts';
import type { Principal } from '../tokens/scopes.ts';
import { useScopes } from './scopes-plugin.ts';
import { schema } from '../schema/index.ts';
import { useSharedSubscriptions } from './shared-subscriptions.ts';
import { inputProblem, inputProblemMessage } from './well-formed-text.ts';

/**
 * Armor throws its rejections, which yoga would answer with 200. They are the client's fault: mark
 * them 400, and drop the "Syntax Error:" armor puts before every limit (the query's syntax is fine).
 * (A token-limit rejection happens while parsing, where yoga follows GraphQL over HTTP: 400 for
 * application/graphql-response+json, 200 for a client that accepts only application/json.)
 */
const rejectAsBadRequest = (_ctx: unknown, error: GraphQLError) => {
  error.message = error.message.replace(/^Syntax Error: /, '');
  (error.extensions as Record<string, unknown>).http = { status: 400 };
};
const armorLimit = { onReject: [rejectAsBadRequest], propagateOnRejection: true };

/**
 * Armor's cost estimate multiplies a selection by its `first`. This allows the documented largest
 * feed page (`attentionSessions(first: 500)` with every field of a session) and refuses what is
 * really costly: event logs nested under a large page of sessions.
 */
export const MAX_QUERY_COST = 100_000;

/** What an error that is not the schema's own says (yoga's default, named for the subscriptions' masking). */
const UNEXPECTED_ERROR = 'Unexpected error.';

/** GraphQL's own input boundary, for the HTTP transports: variables and extensions nested within bounds, of well-formed text. */
const useWellFormedText = (): Plugin => ({
  onParams({ params }) {
    const problem = inputProblem({ query: params.query, operationName: params.operationName, variables: params.variables, extensions: params.extensions });
    if (problem) throw createGraphQLError(inputProblemMessage(problem), { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
  },
});

type ServerContext = { feedAnswer?: FeedAnswerNote; principal?: Principal };

export function createLookoutYoga(base: Omit<Context, 'principal'>, feedAnswers: FeedAnswers, metrics: Plugin): YogaServerInstance<ServerContext, object> {
  const server = new YogaServer<ServerContext, object>({
    schema,
    // Who asks, as the guard (HTTP) or the socket's first message (graphql-ws) established it.
    context: ({ principal }): Context => ({ ...base, principal }),
    // CORS is the guard's: it answers listed origins only, and never reflects one.
    cors: false,
    graphiql: { title: 'Lookout', subscriptionsProtocol: 'WS' },
    // GraphiQL bundled in the page, not fetched from a CDN: it works offline and behind firewalls. Its
    // renderer (9 MB of JavaScript) is loaded when GraphiQL is first asked for, not at start.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    landingPage: false,
    // The guard refuses a body over its limit, or of no stated length, on every route before yoga
    // sees it (inputs.test.ts). yoga's own check (25 MB) re-streamed every body through a pipe whose
    // end builds an AbortError: a tenth of a mutation's work (`npm run bench -- --profile`, writes).
    maxRequestBodySize: false,
    maskedErrors: { errorMessage: UNEXPECTED_ERROR },
    logging: 'warn',
    plugins: [
      metrics,
      useWellFormedText(),
      useScopes(),
      feedAnswers.plugin,
      EnvelopArmorPlugin({
        maxDepth: { n: 10, ...armorLimit },
        maxAliases: { n: 15, ...armorLimit },
        maxDirectives: { n: 20, ...armorLimit },
        maxTokens: { n: 2000, ...armorLimit },
        costLimit: { maxCost: MAX_QUERY_COST, ...armorLimit },
        blockFieldSuggestion: { enabled: true },
      }),
      // Last: it ends the subscribe hooks (see there).
      useSharedSubscriptions(UNEXPECTED_ERROR),
    ],
  });
  // What yoga's createYoga does, with the one option it does not pass on. Left unset, the adapter
  // compares its Request with the global one to set it, and reading the global `Request` loads
  // node's own fetch: ~40 ms of every start (`npm run bench`, startup), for an option that only
  // requests node's server hands over use. Lookout hands yoga fetch requests it makes itself; the
  // value is the one the comparison gives (yoga's Request is its own, not the global one).
  return createServerAdapter(server, {
    fetchAPI: server.fetchAPI,
    plugins: server['plugins'],
    __useCustomAbortCtrl: true,
  }) as YogaServerInstance<ServerContext, object>;
}

export type LookoutYoga = ReturnType<typeof createLookoutYoga>;
