// RefusedHooks: where hooks are being refused, so that the page can say so (see api/hooks/refused-hooks.ts).
import type { RefusedHooksAt } from '../hooks/refused-hooks.ts';
import { builder } from './builder.ts';
import { needs } from './scopes.ts';

const RefusedHooks = builder.objectRef<RefusedHooksAt>('RefusedHooks').implement({
  description: "Hook requests this server refused from one address since that address's last accepted report.",
  fields: (t) => ({
    address: t.exposeString('address', { description: 'Where they came from (127.0.0.1: this machine).' }),
    count: t.exposeInt('count'),
    since: t.field({ type: 'DateTime', resolve: (r) => r.since }),
    last: t.field({ type: 'DateTime', resolve: (r) => r.last }),
    reason: t.string({
      description: 'Why, in words.',
      resolve: (r) => (r.status === 403 ? "their token's scope cannot report" : 'their token is missing, wrong or revoked'),
    }),
  }),
});

builder.queryField('refusedHooks', (t) =>
  t.field({
    type: [RefusedHooks],
    ...needs('read', 'Where hooks are being refused (a token turned on or revoked after install), newest first; empty when none are.'),
    resolve: (_root, _args, ctx) => ctx.refusedHooks.list(),
  }),
);
