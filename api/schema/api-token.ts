// ApiToken: scoped tokens for agents, tools and people, managed by an admin. A token's secret is
// shown once, in createToken's answer; only its hash is kept.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { SCOPES, type Scope } from '../tokens/scopes.ts';
import { OWNER } from '../attention/transitions.ts';
import type { TokenRecord } from '../tokens/tokens.ts';
import { builder } from './builder.ts';
import { ErrorInterface } from './errors.ts';
import { needs } from './scopes.ts';

const TokenScope = builder.enumType('TokenScope', {
  description: 'REPORT: what agents need (hooks, report mutations). READ: the feed, for dashboards. ACT: read and act on it (seen, snooze, hide, answer). ADMIN: everything, tokens included.',
  values: SCOPES.map((s) => s.toUpperCase()) as ['REPORT', 'READ', 'ACT', 'ADMIN'],
});

const ApiToken = builder.objectRef<TokenRecord>('ApiToken').implement({
  description: 'A token, without its secret.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scope: t.field({ type: TokenScope, resolve: (r) => r.scope.toUpperCase() as 'REPORT' }),
    person: t.exposeString('person', { description: 'Whose sessions it reports and acts on.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.lastUsedAt }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.revokedAt }),
  }),
});

const CreatedToken = builder.objectRef<{ token: string; apiToken: TokenRecord }>('CreatedToken').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The token itself: shown this once, never again.' }),
    apiToken: t.field({ type: ApiToken, resolve: (c) => c.apiToken }),
  }),
});

export class TokenNotFoundError extends Error {
  override name = 'TokenNotFoundError';
  constructor(readonly id: string) {
    super(`No token with id "${id}".`);
  }
}

builder.objectType(TokenNotFoundError, {
  name: 'TokenNotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ id: t.exposeString('id') }),
});

const shortText = z.string().trim().min(1).max(100);

builder.queryField('tokens', (t) =>
  t.field({ type: [ApiToken], ...needs('admin', 'Every token, revoked ones too.'), resolve: (_root, _args, ctx) => ctx.tokens.list() }),
);

builder.mutationFields((t) => ({
  createToken: t.field({
    type: CreatedToken,
    ...needs('admin', 'A new token for an agent (REPORT), a tool (READ) or a person (ACT, ADMIN).'),
    errors: { types: [InputValidationError] },
    args: {
      name: t.arg.string({ required: true, validate: shortText, description: 'What it is for, e.g. laptop-hooks.' }),
      scope: t.arg({ type: TokenScope, required: true }),
      person: t.arg.string({ validate: shortText, description: `Whose sessions it reports and acts on (default ${OWNER}).` }),
    },
    resolve: async (_root, args, ctx) => {
      const { token, record } = await ctx.tokens.create({ name: args.name, scope: args.scope.toLowerCase() as Scope, person: args.person ?? OWNER });
      return { token, apiToken: record };
    },
  }),
  revokeToken: t.field({
    type: ApiToken,
    ...needs('admin', 'Refused from now on; its open connections are closed.'),
    errors: { types: [TokenNotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const revoked = await ctx.tokens.revoke(String(args.id));
      if (!revoked) throw new TokenNotFoundError(String(args.id));
      return revoked;
    },
  }),
}));
