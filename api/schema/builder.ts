// The Pothos schema builder: plugins and shared settings only; every type lives in its own file.
import type { RefusedHooks } from '../hooks/refused-hooks.ts';
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ValidationPlugin from '@pothos/plugin-validation';
import type { AttentionService } from '../attention/service.ts';
import type { Insights } from '../insights/insights.ts';
import type { Db } from '../db/opened-database.ts';
import type { Principal } from '../tokens/scopes.ts';
import type { Policies } from '../notify/policies.ts';
import type { Push } from '../notify/push.ts';
import type { AnswerLinks } from '../notify/answer-links.ts';
import type { Channels } from '../notify/channels.ts';
import type { Webhooks } from '../notify/webhooks.ts';
import type { Tokens } from '../tokens/tokens.ts';
import type PrismaTypes from '../generated/pothos-prisma-types.ts';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';

export interface Context {
  db: Db;
  attention: AttentionService;
  insights: Insights;
  tokens: Tokens;
  webhooks: Webhooks;
  policies: Policies;
  push: Push;
  channels: Channels;
  links: AnswerLinks;
  refusedHooks: RefusedHooks;
  /** LOOKOUT_ESCALATE_MINUTES: the escalation time of whoever sets none. */
  defaultEscalateAfterMinutes: number;
  /** Who asks; absent only where no operation runs (GraphiQL's page). */
  principal?: Principal;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
}>({
  plugins: [ErrorsPlugin, ValidationPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  // Each app instance brings its own database, so the client comes from the request context.
  prisma: { client: (ctx) => ctx.db, dmmf: getDatamodel(), onUnusedQuery: null },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  // Invalid input comes back as a typed InputValidationError result, like any expected error.
  errors: { unsafelyHandleInputErrors: true },
});
