// How a root field declares the scope it needs: in its extensions (checked before any operation
// runs, see api/http/scopes-plugin.ts) and in its description (what GraphiQL and the SDL show).
import type { Scope } from '../tokens/scopes.ts';
import { createGraphQLError } from 'graphql-yoga';
import type { Actor } from '../attention/vocabulary.ts';
import type { Context } from './builder.ts';
import { builder } from './builder.ts';

export function needs(scope: Scope, description?: string) {
  return { extensions: { needs: scope }, description: `${description ? `${description} ` : ''}Needs the ${scope} scope.` };
}


/** The asker as the attention service sees them. Every operation that reaches a resolver has one. */
export function actorOf(ctx: Context): Actor {
  if (!ctx.principal) throw new Error('An operation ran without a principal.');
  return { person: ctx.principal.person, admin: ctx.principal.scope === 'admin' };
}

export const FeedScope = builder.enumType('FeedScope', {
  description: 'MINE: your own sessions (the default). TEAM: everyone\'s, with their owners (admins only).',
  values: ['MINE', 'TEAM'] as const,
});

/** Whose sessions to show: the asker's, or (TEAM, for an admin) everyone's, as null. */
export function ownerFilter(ctx: Context, scope: 'MINE' | 'TEAM' | null | undefined): string | null {
  const actor = actorOf(ctx);
  if (scope !== 'TEAM') return actor.person;
  if (!actor.admin) throw createGraphQLError('Forbidden: the TEAM view needs the admin scope.', { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
  return null;
}
