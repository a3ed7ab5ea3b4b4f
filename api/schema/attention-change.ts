// The live feed: one event per change of a session's attention, with replay after a reconnect.
import { z } from 'zod';
import type { AttentionChange, FeedResync } from '../attention/vocabulary.ts';
import { AttentionRef, AttentionTier } from './attention.ts';
import { builder } from './builder.ts';
import { FeedScope, needs, ownerFilter } from './scopes.ts';
import { Session } from './session.ts';

const AttentionChangeRef = builder.objectRef<AttentionChange>('AttentionChange').implement({
  description: 'A session entered the feed, changed tier, reason or label, left it, or changed while shown.',
  isTypeOf: (event) => (event as AttentionChange | FeedResync).kind === 'change',
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Pass the last seq you saw as `after` when you resubscribe.' }),
    session: t.field({ type: Session, description: 'The session as it is now.', resolve: (e) => e.session }),
    attention: t.field({ type: AttentionRef, nullable: true, description: 'Null: it left the feed.', resolve: (e) => e.attention }),
    previous: t.field({ type: AttentionRef, nullable: true, resolve: (e) => e.previous }),
  }),
});

const FeedResyncRef = builder.objectRef<FeedResync>('FeedResyncRequired').implement({
  description: 'Some changes cannot be delivered (no longer kept, or sent faster than read): refetch the feed, then go on.',
  isTypeOf: (event) => (event as AttentionChange | FeedResync).kind === 'resync',
  fields: (t) => ({
    latestSeq: t.exposeInt('latestSeq'),
    reason: t.exposeString('reason'),
  }),
});

const AttentionFeedEvent = builder.unionType('AttentionFeedEvent', { types: [AttentionChangeRef, FeedResyncRef] });

builder.subscriptionField('attentionChanged', (t) =>
  t.field({
    type: AttentionFeedEvent,
    ...needs('read', 'Every change to the feed. With `after`, first every change since that seq, then live: no gap, no duplicate.'),
    args: {
      project: t.arg.string({ validate: z.string().trim().min(1).max(200) }),
      minTier: t.arg({ type: AttentionTier, description: 'Only changes into, within or out of this tier or a higher one.' }),
      after: t.arg.int({ validate: z.number().int().min(0) }),
      scope: t.arg({ type: FeedScope }),
    },
    subscribe: (_root, args, ctx) => ctx.attention.follow({ project: args.project, minTier: args.minTier, owner: ownerFilter(ctx, args.scope) }, args.after),
    resolve: (event) => event,
  }),
);
