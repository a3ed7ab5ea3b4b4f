// One wait behind the Insights figures: a session needed its person, from when to when, and how it ended.
import type { StoredWait } from '../insights/store.ts';
import { WAIT_ENDINGS, WAIT_KINDS } from '../insights/waits.ts';
import { builder } from './builder.ts';

export const WaitKindRef = builder.enumType('WaitKind', {
  description: 'What a session waited for: a permission prompt, a question, a plan to approve, a blocked agent, a reply to its finished turn, a failure, uncommitted work.',
  values: WAIT_KINDS,
});

export const WaitEndingRef = builder.enumType('WaitEnding', {
  description:
    'How a wait ended: answered in the TERMINAL, answered from Lookout (FEED, CLI, API) or a channel (LINK, NTFY, SLACK, TELEGRAM), or not answered: EXPIRED (its hook gave up), CLOSED (the session ended), DISMISSED (snoozed or hidden), LAPSED (it went stale).',
  values: WAIT_ENDINGS,
});

export const AttentionWaitRef = builder.objectRef<StoredWait & { now: Date; title: string | null }>('AttentionWait').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    sessionId: t.exposeString('sessionId'),
    title: t.exposeString('title', { nullable: true, description: "The session's title now." }),
    owner: t.exposeString('owner'),
    project: t.exposeString('project', { nullable: true }),
    agent: t.exposeString('agent'),
    kind: t.field({ type: WaitKindRef, resolve: (wait) => wait.kind }),
    subagent: t.exposeBoolean('subagent'),
    startedAt: t.field({ type: 'DateTime', resolve: (wait) => wait.startedAt }),
    seenAt: t.field({ type: 'DateTime', nullable: true, resolve: (wait) => wait.seenAt }),
    answeredAt: t.field({ type: 'DateTime', nullable: true, resolve: (wait) => wait.answeredAt }),
    endedAt: t.field({ type: 'DateTime', nullable: true, description: 'Null: still waiting.', resolve: (wait) => wait.endedAt }),
    endedBy: t.field({ type: WaitEndingRef, nullable: true, description: 'Set before the end when an answer was given and the agent has yet to take it.', resolve: (wait) => wait.endedBy }),
    waitedSeconds: t.float({ resolve: (wait) => ((wait.endedAt ?? wait.now).getTime() - wait.startedAt.getTime()) / 1000 }),
    decision: t.string({ nullable: true, description: "A permission prompt's answer: ALLOW or DENY (null when not known).", resolve: (wait) => wait.decision }),
    escalated: t.exposeBoolean('escalated'),
    tool: t.exposeString('tool', { nullable: true }),
    rule: t.exposeString('rule', { nullable: true, description: 'The Claude Code permissions.allow entry that would have allowed it.' }),
  }),
});
