// PushDevice: a browser or phone that asked to be notified of its person's sessions (Web Push),
// with its last delivery. Each person adds, lists and removes their own.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { MAX_DEVICES_PER_PERSON, type PushDevice, PushEndpointError, TooManyPushDevicesError } from '../notify/push.ts';
import { builder } from './builder.ts';
import { ErrorInterface } from './errors.ts';
import { actorOf, needs } from './scopes.ts';

const PushDeviceRef = builder.objectRef<PushDevice>('PushDevice').implement({
  fields: (t) => ({
    endpoint: t.exposeString('endpoint', { description: "The push service's URL for this browser: how the page knows its own device." }),
    label: t.exposeString('label'),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.createdAt }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.lastAttemptAt }),
    lastStatus: t.exposeString('lastStatus', { nullable: true, description: 'What the last push came to: "delivered", "refused by the push service" or "gave up after 5 attempts".' }),
    lastSuccessAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.lastSuccessAt }),
  }),
});

export class PushDeviceNotFoundError extends Error {
  override name = 'PushDeviceNotFoundError';
  constructor(readonly endpoint: string) {
    super('You have no device with that push endpoint: subscribe it first.');
  }
}

builder.objectType(PushDeviceNotFoundError, { name: 'PushDeviceNotFoundError', interfaces: [ErrorInterface], fields: (t) => ({ endpoint: t.exposeString('endpoint') }) });
builder.objectType(PushEndpointError, {
  name: 'PushEndpointError',
  description: "The endpoint is not one Lookout pushes to: not https at a browser's push service (or a host in LOOKOUT_PUSH_HOSTS), or another person's device.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ endpoint: t.exposeString('endpoint') }),
});
builder.objectType(TooManyPushDevicesError, {
  name: 'TooManyPushDevicesError',
  description: `A person has at most ${MAX_DEVICES_PER_PERSON} devices: remove one first.`,
  interfaces: [ErrorInterface],
  fields: (t) => ({ limit: t.exposeInt('limit') }),
});

/** A key of `bytes` bytes in base64url, as a browser's PushSubscription gives it. */
const base64urlKey = (bytes: number, what: string) =>
  z.string().refine((value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes, `must be the subscription's ${what} (${bytes} bytes, base64url)`);

/** Which push services Lookout sends to is the server's own rule (PushEndpointError); here only the shape. */
const endpoint = z.string().max(2048).refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', "must be the subscription's https endpoint");

const PushSubscriptionInput = builder.inputType('PushSubscriptionInput', {
  description: "This browser's PushSubscription, as its toJSON() gives it, and what to call the device.",
  fields: (t) => ({
    endpoint: t.string({ required: true, validate: endpoint }),
    p256dh: t.string({ required: true, validate: base64urlKey(65, 'keys.p256dh') }),
    auth: t.string({ required: true, validate: base64urlKey(16, 'keys.auth') }),
    label: t.string({ required: true, validate: z.string().trim().min(1).max(100) }),
  }),
});

builder.queryFields((t) => ({
  pushPublicKey: t.string({
    ...needs('read', "Lookout's VAPID public key (base64url): the applicationServerKey a browser subscribes with."),
    resolve: (_root, _args, ctx) => ctx.push.publicKey,
  }),
  pushDevices: t.field({
    type: [PushDeviceRef],
    ...needs('read', 'Your devices that get push notifications, with their last delivery.'),
    resolve: (_root, _args, ctx) => ctx.push.listed(actorOf(ctx).person),
  }),
}));

builder.mutationFields((t) => ({
  addPushDevice: t.field({
    type: PushDeviceRef,
    ...needs('act', `Notifies this browser or phone of your sessions, as your notification policy says. At most ${MAX_DEVICES_PER_PERSON} devices a person, each at a push service.`),
    errors: { types: [InputValidationError, PushEndpointError, TooManyPushDevicesError] },
    args: { input: t.arg({ type: PushSubscriptionInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.push.add(actorOf(ctx).person, { ...input, label: input.label.trim() }),
  }),
  removePushDevice: t.field({
    type: PushDeviceRef,
    ...needs('act', 'Stops notifying a device of yours.'),
    errors: { types: [PushDeviceNotFoundError] },
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const removed = await ctx.push.remove(actorOf(ctx).person, args.endpoint);
      if (!removed) throw new PushDeviceNotFoundError(args.endpoint);
      return removed;
    },
  }),
  setDeviceLooking: t.field({
    type: PushDeviceRef,
    ...needs('act', 'The page on this device is (or stops being) visible and focused: no push to it meanwhile. Holds 90 seconds unless said again.'),
    errors: { types: [PushDeviceNotFoundError] },
    args: { endpoint: t.arg.string({ required: true }), looking: t.arg.boolean({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const device = await ctx.push.setLooking(actorOf(ctx).person, args.endpoint, args.looking);
      if (!device) throw new PushDeviceNotFoundError(args.endpoint);
      return device;
    },
  }),
}));
