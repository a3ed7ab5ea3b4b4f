// Attention analytics over GraphQL: how long agents waited on you, why, where you answered, and
// which routine prompts a permissions rule could answer for you.
import { z } from 'zod';
import { type Figures, InsightsRangeError, SUGGEST_AFTER_ALLOWED } from '../insights/insights.ts';
import type { Blocker, WaitFigures } from '../insights/store.ts';
import { AttentionWaitRef, WaitEndingRef, WaitKindRef } from './attention-wait.ts';
import { builder } from './builder.ts';
import { ErrorInterface } from './errors.ts';
import { FeedScope, needs, ownerFilter } from './scopes.ts';
import { WaitDayRef, WaitFiguresRef, WaitGroupRef } from './wait-figures.ts';

const MAX_WAITS = 100;
const TOP_BLOCKERS = 10;

interface InsightsResult extends Figures {
  owner: string | null;
}

builder.objectType(InsightsRangeError, {
  name: 'InsightsRangeError',
  description: 'The range or time zone cannot be used: nothing was computed.',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

const BlockerRef = builder.objectRef<Blocker>('Blocker').implement({
  description: 'A permission prompt waited on: one tool, one exact allow rule (or none), how often and how it was answered.',
  fields: (t) => ({
    tool: t.exposeString('tool'),
    rule: t.exposeString('rule', { nullable: true, description: 'The permissions.allow entry that allows exactly this; null when none can say it exactly.' }),
    waits: t.exposeInt('waits'),
    allowed: t.exposeInt('allowed'),
    denied: t.exposeInt('denied'),
    waitedSeconds: t.exposeFloat('waitedSeconds'),
  }),
});

const SuggestedRuleRef = builder.objectRef<Blocker & { rule: string }>('SuggestedRule').implement({
  description: `A prompt allowed at least ${SUGGEST_AFTER_ALLOWED} times and never denied: a candidate for Claude Code's permissions.allow (in .claude/settings.json).`,
  fields: (t) => ({
    rule: t.exposeString('rule'),
    tool: t.exposeString('tool'),
    allowed: t.exposeInt('allowed'),
    waitedSeconds: t.exposeFloat('waitedSeconds', { description: 'The time it kept agents waiting in the range.' }),
    settings: t.string({
      description: 'The settings to add, as JSON.',
      resolve: (blocker) => JSON.stringify({ permissions: { allow: [blocker.rule] } }, null, 2),
    }),
  }),
});

const EndingCountRef = builder.objectRef<{ endedBy: string; count: number }>('WaitEndingCount').implement({
  fields: (t) => ({
    endedBy: t.field({ type: WaitEndingRef, resolve: (row) => row.endedBy as never }),
    count: t.exposeInt('count'),
  }),
});

const groups = (map: Map<string, WaitFigures>) => [...map].map(([key, figures]) => ({ key, figures })).sort((a, b) => b.figures.waitedSeconds - a.figures.waitedSeconds);

const InsightsRef = builder.objectRef<InsightsResult>('Insights').implement({
  description: 'How long agents waited on their person over a range, and why: the waits begun in [from, to).',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', resolve: (i) => i.from }),
    to: t.field({ type: 'DateTime', resolve: (i) => i.to }),
    timeZone: t.exposeString('timeZone'),
    totals: t.field({ type: WaitFiguresRef, resolve: (i) => i.totals }),
    previous: t.field({ type: WaitFiguresRef, description: 'The same length of time just before: last week, against this week.', resolve: (i) => i.previous }),
    byKind: t.field({ type: [WaitGroupRef], description: 'Longest waited first.', resolve: (i) => groups(i.byKind) }),
    byProject: t.field({ type: [WaitGroupRef], resolve: (i) => groups(i.byProject) }),
    byAgent: t.field({ type: [WaitGroupRef], resolve: (i) => groups(i.byAgent) }),
    days: t.field({ type: [WaitDayRef], resolve: (i) => i.days }),
    endings: t.field({
      type: [EndingCountRef],
      description: 'Where waits were answered, or how they ended otherwise.',
      resolve: (i) => [...i.endings].map(([endedBy, count]) => ({ endedBy, count })).sort((a, b) => b.count - a.count),
    }),
    blockers: t.field({ type: [BlockerRef], description: `The ${TOP_BLOCKERS} permission prompts waited on most.`, resolve: (i) => i.blockers.slice(0, TOP_BLOCKERS) }),
    suggestedRules: t.field({
      type: [SuggestedRuleRef],
      description: 'Most often allowed first.',
      resolve: (i) =>
        i.blockers.filter((b): b is Blocker & { rule: string } => b.rule !== null && b.denied === 0 && b.allowed >= SUGGEST_AFTER_ALLOWED).sort((a, b) => b.allowed - a.allowed),
    }),
    waits: t.field({
      type: [AttentionWaitRef],
      description: `The waits behind a figure, newest first (at most ${MAX_WAITS}).`,
      args: {
        kind: t.arg({ type: WaitKindRef }),
        project: t.arg.string({ description: '"" for sessions without a project.', validate: z.string().max(200) }),
        agent: t.arg.string({ validate: z.string().max(100) }),
        rule: t.arg.string({ validate: z.string().max(10_000) }),
        day: t.arg.string({ description: 'One of `days`.', validate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }),
        first: t.arg.int({ defaultValue: 20, validate: z.number().int().min(1).max(MAX_WAITS) }),
      },
      resolve: async (i, args, ctx) => {
        const day = args.day ? i.days.find((d) => d.day === args.day) : undefined;
        if (args.day && !day) return [];
        const now = new Date();
        const filter = { kind: args.kind, project: args.project, agent: args.agent, rule: args.rule, start: day?.start, end: day?.end };
        const waits = await ctx.insights.waits(i.owner, i.from, i.to, filter, args.first ?? 20, now);
        const sessions = await ctx.db.session.findMany({ where: { id: { in: [...new Set(waits.map((w) => w.sessionId))] } }, select: { id: true, title: true } });
        const titles = new Map(sessions.map((s) => [s.id, s.title]));
        return waits.map((wait) => ({ ...wait, now, title: titles.get(wait.sessionId) ?? null }));
      },
    }),
  }),
});

builder.queryField('insights', (t) =>
  t.field({
    type: InsightsRef,
    ...needs('read', 'How long your agents waited on you between `from` and `to` (at most 92 days), and why; TEAM: everyone\'s (admins).'),
    errors: { types: [InsightsRangeError] },
    args: {
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      timeZone: t.arg.string({ defaultValue: 'UTC', description: 'An IANA time zone, for `days`.', validate: z.string().min(1).max(64) }),
      scope: t.arg({ type: FeedScope }),
    },
    resolve: async (_root, args, ctx) => {
      const owner = ownerFilter(ctx, args.scope);
      return { owner, ...(await ctx.insights.figures(owner, args.from, args.to, args.timeZone ?? 'UTC')) };
    },
  }),
);
