// Attention: whether a session needs the human, why and since when; the feed and its counts.
import { resolveArrayConnection } from '@pothos/plugin-relay';
import { z } from 'zod';
import { type Attention } from '../attention/rules.ts';
import { ATTENTION_REASONS, ATTENTION_TIERS } from '../../shared/feed-order.ts';
import { builder } from './builder.ts';
import { FeedScope, needs, ownerFilter } from './scopes.ts';
import { Session } from './session.ts';

export const AttentionTier = builder.enumType('AttentionTier', {
  description: 'NEEDS_YOU: the session is blocked on you. IN_FOCUS: worth a look (just done, or gone silent).',
  values: ATTENTION_TIERS,
});

export const AttentionReason = builder.enumType('AttentionReason', {
  description: 'Why a session is in the feed, in priority order.',
  values: ATTENTION_REASONS,
});

export const AttentionRef = builder.objectRef<Attention>('Attention').implement({
  description: 'Derived from the session and the time, never stored by hand.',
  fields: (t) => ({
    tier: t.field({ type: AttentionTier, resolve: (a) => a.tier }),
    reason: t.field({ type: AttentionReason, resolve: (a) => a.reason }),
    label: t.exposeString('label', { description: 'A short human phrase for the reason, e.g. "Waiting for permission".' }),
    detail: t.exposeString('detail', {
      nullable: true,
      description: 'One line that says what exactly: the command awaiting permission, the question asked, what the assistant last said, why it failed.',
    }),
    since: t.field({ type: 'DateTime', description: 'When the current reason began.', resolve: (a) => a.since }),
    escalated: t.boolean({
      description: "It has needed you for your escalation time (the notification policy's escalateAfterMinutes): notified again, once per reason.",
      resolve: (a) => a.escalatedAt != null,
    }),
    escalatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.escalatedAt ?? null }),
  }),
});

builder.objectField(Session, 'attention', (t) =>
  t.field({
    type: AttentionRef,
    nullable: true,
    description: 'Null when the session is not in the feed.',
    resolve: (session, _args, ctx) => ctx.attention.attentionOf(session),
  }),
);

const AttentionSummary = builder
  .objectRef<{ needsYou: number; inFocus: number }>('AttentionSummary')
  .implement({
    description: 'How many sessions are in each tier of the feed, for badges.',
    fields: (t) => ({
      needsYou: t.exposeInt('needsYou'),
      inFocus: t.exposeInt('inFocus'),
      total: t.int({ resolve: (s) => s.needsYou + s.inFocus }),
    }),
  });

const projectArg = z.string().trim().min(1).max(200);
// The whole feed in one page unless asked for less: it is what needs a human, so it stays short.
const FEED_PAGE_SIZE = 500;

builder.queryFields((t) => ({
  attentionSessions: t.connection({
    type: Session,
    ...needs('read', 'The feed: sessions that need you, by tier, reason priority, then most recent first.'),
    args: {
      tier: t.arg({ type: AttentionTier }),
      project: t.arg.string({ validate: projectArg }),
      scope: t.arg({ type: FeedScope }),
    },
    resolve: (_root, args, ctx) => ({
      // Read together, in one turn of the event loop: the feed is exactly the log up to latestSeq.
      latestSeq: ctx.attention.latestSeq,
      ...resolveArrayConnection(
        { args, defaultSize: FEED_PAGE_SIZE, maxSize: FEED_PAGE_SIZE },
        ctx.attention.feed({ tier: args.tier, project: args.project, owner: ownerFilter(ctx, args.scope) }).map((item) => item.session),
      ),
    }),
  }, {
    fields: (t) => ({
      latestSeq: t.int({
        description: 'The log position this feed reflects: subscribe to attentionChanged(after: latestSeq) to follow it.',
        resolve: (connection) => connection.latestSeq,
      }),
    }),
  }),
  attentionSummary: t.field({
    type: AttentionSummary,
    ...needs('read'),
    args: { project: t.arg.string({ validate: projectArg }), scope: t.arg({ type: FeedScope }) },
    resolve: (_root, args, ctx) => {
      const feed = ctx.attention.feed({ project: args.project, owner: ownerFilter(ctx, args.scope) });
      const needsYou = feed.filter((item) => item.attention.tier === 'NEEDS_YOU').length;
      return { needsYou, inFocus: feed.length - needsYou };
    },
  }),
}));
