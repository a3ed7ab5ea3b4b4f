// WebhookTarget: where "needs you" goes besides the page (an admin's to manage), with each target's
// last delivery for the user to see.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { WEBHOOK_FORMATS, type WebhookTarget } from '../notify/webhooks.ts';
import { builder } from './builder.ts';
import { ErrorInterface } from './errors.ts';
import { needs } from './scopes.ts';

const WebhookFormatEnum = builder.enumType('WebhookFormat', {
  description: 'JSON: the documented payload, signed (X-Lookout-Signature: sha256=HMAC) when a secret is set. SLACK, DISCORD: incoming webhooks. NTFY: an ntfy topic URL.',
  values: WEBHOOK_FORMATS.map((f) => f.toUpperCase()) as ['JSON', 'SLACK', 'DISCORD', 'NTFY'],
});

const WebhookTargetRef = builder.objectRef<WebhookTarget>('WebhookTarget').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    format: t.field({ type: WebhookFormatEnum, resolve: (w) => w.format.toUpperCase() as 'JSON' }),
    person: t.exposeString('person', { nullable: true, description: "Only this person's sessions; null: everyone's." }),
    signed: t.boolean({ resolve: (w) => w.secret !== null }),
    onlyEscalations: t.exposeBoolean('onlyEscalations', { description: 'Only waits that dragged on: a second channel.' }),
    fromEnvironment: t.boolean({ description: 'Set by LOOKOUT_WEBHOOKS: change the environment to change it.', resolve: (w) => !!w.fromEnvironment }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.lastAttemptAt }),
    lastStatus: t.exposeString('lastStatus', { nullable: true, description: 'e.g. 200, 500, timeout, "gave up after 5 attempts: 500".' }),
    lastSuccessAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.lastSuccessAt }),
  }),
});

export class WebhookNotFoundError extends Error {
  override name = 'WebhookNotFoundError';
  constructor(readonly id: string) {
    super(`No webhook with id "${id}" that can be removed here (one from LOOKOUT_WEBHOOKS is changed in the environment).`);
  }
}

builder.objectType(WebhookNotFoundError, { name: 'WebhookNotFoundError', interfaces: [ErrorInterface], fields: (t) => ({ id: t.exposeString('id') }) });

const webUrl = z.string().max(2048).refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http or https URL');

builder.queryField('webhooks', (t) =>
  t.field({ type: [WebhookTargetRef], ...needs('admin', 'Every webhook target, with its last delivery.'), resolve: (_root, _args, ctx) => ctx.webhooks.list() }),
);

builder.mutationFields((t) => ({
  addWebhook: t.field({
    type: WebhookTargetRef,
    ...needs('admin', 'Sends "needs you" (and escalations) to a URL.'),
    errors: { types: [InputValidationError] },
    args: {
      url: t.arg.string({ required: true, validate: webUrl }),
      format: t.arg({ type: WebhookFormatEnum, required: true }),
      secret: t.arg.string({ validate: z.string().min(8).max(200), description: 'Signs the JSON format.' }),
      person: t.arg.string({ validate: z.string().trim().min(1).max(100) }),
      onlyEscalations: t.arg.boolean({ description: 'Only escalations (a wait that dragged on): a second channel.' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.webhooks.add({ url: args.url, format: args.format.toLowerCase() as 'json', secret: args.secret, person: args.person, onlyEscalations: args.onlyEscalations }),
  }),
  removeWebhook: t.field({
    type: WebhookTargetRef,
    ...needs('admin'),
    errors: { types: [WebhookNotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const removed = await ctx.webhooks.remove(String(args.id));
      if (!removed) throw new WebhookNotFoundError(String(args.id));
      return removed;
    },
  }),
}));
