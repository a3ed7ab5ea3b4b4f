// SessionEvent: one entry of a session's append-only log, with the attention it led to.
import { SessionEventKind } from '../generated/prisma/client.ts';
import { AttentionRef } from './attention.ts';
import { builder } from './builder.ts';
import { attentionFromJson } from '../db/attention-json.ts';

const SessionEventKindEnum = builder.enumType(SessionEventKind, {
  name: 'SessionEventKind',
  description: 'What was reported or done; TIMER is a change that time alone made (done expired, stale began, snooze ended).',
});

builder.prismaObject('SessionEvent', {
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Global, strictly increasing.' }),
    kind: t.expose('kind', { type: SessionEventKindEnum }),
    eventId: t.exposeString('eventId', { nullable: true }),
    at: t.expose('at', { type: 'DateTime', description: 'When it happened, as reported.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime', description: 'When Lookout stored it.' }),
    input: t.exposeString('input', { description: 'The accepted input, as JSON.' }),
    attention: t.field({ type: AttentionRef, nullable: true, resolve: (e) => attentionFromJson(e.attention) }),
    previousAttention: t.field({ type: AttentionRef, nullable: true, resolve: (e) => attentionFromJson(e.previousAttention) }),
  }),
});
