// PersonChannel: where a person's own prompts go besides the page and their push devices (ntfy,
// Slack, Telegram), each with its last delivery. Each person sets, links and removes their own; an
// admin can rotate the key answer links are signed with.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { CHANNEL_KINDS, ChannelAddressError, ChannelNotConfiguredError, type PersonChannel } from '../notify/channels.ts';
import { builder } from './builder.ts';
import { ErrorInterface } from './errors.ts';
import { actorOf, needs } from './scopes.ts';

const ChannelKind = builder.enumType('ChannelKind', {
  description: 'NTFY: an ntfy topic. SLACK: a direct message from Lookout\'s Slack app. TELEGRAM: a chat with Lookout\'s Telegram bot.',
  values: CHANNEL_KINDS.map((kind) => kind.toUpperCase()) as ['NTFY', 'SLACK', 'TELEGRAM'],
});

const PersonChannelRef = builder.objectRef<PersonChannel>('PersonChannel').implement({
  description: "One of your channels: your prompts go there under your notification policy, with a button per choice that answers them.",
  fields: (t) => ({
    kind: t.field({ type: ChannelKind, resolve: (c) => c.kind.toUpperCase() as 'NTFY' | 'SLACK' | 'TELEGRAM' }),
    address: t.exposeString('address', { description: "The ntfy topic's URL, your Slack member id, or your Telegram chat's id." }),
    verified: t.exposeBoolean('verified', { description: 'Whether you proved the account is yours (Slack: the button in Lookout\'s message; Telegram: the code sent to the bot). Only then does it get prompts.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.lastAttemptAt }),
    lastStatus: t.exposeString('lastStatus', { nullable: true, description: 'What the last message came to: "delivered", "refused: …" or "gave up after 5 attempts: …".' }),
    lastSuccessAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.lastSuccessAt }),
  }),
});

const TelegramLink = builder.objectRef<{ code: string; expiresAt: Date; url: string | null }>('TelegramLink').implement({
  description: 'Send /start and this code to Lookout\'s bot, from the chat your prompts should go to.',
  fields: (t) => ({
    code: t.exposeString('code'),
    command: t.string({ description: 'What to send the bot.', resolve: (l) => `/start ${l.code}` }),
    url: t.exposeString('url', { nullable: true, description: 'Opens the bot with the code filled in (t.me), when the bot\'s name is known.' }),
    expiresAt: t.field({ type: 'DateTime', resolve: (l) => l.expiresAt }),
  }),
});

builder.objectType(ChannelNotConfiguredError, {
  name: 'ChannelNotConfiguredError',
  description: 'This Lookout has no Slack app or Telegram bot set up: its operator sets them.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ kind: t.field({ type: ChannelKind, resolve: (e) => e.kind.toUpperCase() as 'SLACK' | 'TELEGRAM' }) }),
});
builder.objectType(ChannelAddressError, {
  name: 'ChannelAddressError',
  description: 'Not an address Lookout sends to: an ntfy topic must be https at ntfy.sh (or a host in LOOKOUT_NTFY_HOSTS); a Slack member id starts with U.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ kind: t.field({ type: ChannelKind, resolve: (e) => e.kind.toUpperCase() as 'NTFY' | 'SLACK' }) }),
});

export class ChannelNotFoundError extends Error {
  override name = 'ChannelNotFoundError';
  constructor() {
    super('You have no channel of that kind.');
  }
}
builder.objectType(ChannelNotFoundError, { name: 'ChannelNotFoundError', interfaces: [ErrorInterface], fields: () => ({}) });

builder.queryFields((t) => ({
  myChannels: t.field({
    type: [PersonChannelRef],
    ...needs('read', 'Your channels (ntfy, Slack, Telegram), with their last delivery.'),
    resolve: (_root, _args, ctx) => ctx.channels.listed(actorOf(ctx).person),
  }),
  availableChannels: t.field({
    type: [ChannelKind],
    ...needs('read', 'The channels this Lookout can send to: NTFY always; SLACK and TELEGRAM when its operator set them up.'),
    resolve: (_root, _args, ctx) => [
      'NTFY' as const,
      ...(ctx.channels.settings.slack ? ['SLACK' as const] : []),
      ...(ctx.channels.settings.telegram ? ['TELEGRAM' as const] : []),
    ],
  }),
}));

builder.mutationFields((t) => ({
  setNtfyChannel: t.field({
    type: PersonChannelRef,
    ...needs('act', 'Sends your prompts to an ntfy topic (its URL, e.g. https://ntfy.sh/<a topic only you know>), with buttons that answer them (when LOOKOUT_PUBLIC_URL is set).'),
    errors: { types: [InputValidationError, ChannelAddressError] },
    args: { topicUrl: t.arg.string({ required: true, validate: z.string().trim().max(300) }) },
    resolve: (_root, args, ctx) => ctx.channels.setNtfy(actorOf(ctx).person, args.topicUrl.trim()),
  }),
  setSlackChannel: t.field({
    type: PersonChannelRef,
    ...needs('act', "Sends your prompts to you on Slack, once you press the button in the message Lookout's app sends that member."),
    errors: { types: [InputValidationError, ChannelAddressError, ChannelNotConfiguredError] },
    args: { memberId: t.arg.string({ required: true, validate: z.string().trim().max(30) }) },
    resolve: (_root, args, ctx) => ctx.channels.setSlack(actorOf(ctx).person, args.memberId.trim()),
  }),
  linkTelegram: t.field({
    type: TelegramLink,
    ...needs('act', 'A one-time code (15 minutes) that links the Telegram chat you send it from to you.'),
    errors: { types: [ChannelNotConfiguredError] },
    resolve: (_root, _args, ctx) => ctx.channels.linkTelegram(actorOf(ctx).person),
  }),
  removeChannel: t.field({
    type: PersonChannelRef,
    ...needs('act', 'Stops sending your prompts to one of your channels.'),
    errors: { types: [ChannelNotFoundError] },
    args: { kind: t.arg({ type: ChannelKind, required: true }) },
    resolve: async (_root, args, ctx) => {
      const removed = await ctx.channels.remove(actorOf(ctx).person, args.kind.toLowerCase() as PersonChannel['kind']);
      if (!removed) throw new ChannelNotFoundError();
      return removed;
    },
  }),
  rotateAnswerLinkKey: t.boolean({
    ...needs('admin', 'A new key for answer links: every link and chat button sent so far stops working.'),
    resolve: async (_root, _args, ctx) => {
      await ctx.links.rotate();
      return true;
    },
  }),
}));
