// PendingPermission: a prompt the agent's hook waits on, answerable from Lookout, and the mutation
// that answers it. Only the user may answer: the guard lets no other origin, host or form through,
// and the token, when set, is required.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import {
  AnswerNotDeliveredError,
  CannotAlwaysAllowError,
  InvalidAnswerError,
  NotYoursError,
  PermissionAlreadyAnsweredError,
  PermissionExpiredError,
  SessionNotFoundError,
} from '../attention/errors.ts';
import { alwaysAllowRule, describeRule, type PermissionRequest, pendingPermission, pendingPermissions } from '../attention/permissions.ts';
import { builder } from './builder.ts';
import { actorOf, needs } from './scopes.ts';
import { Session } from './session.ts';

const PermissionKind = builder.enumType('PermissionKind', {
  description:
    "PERMISSION: to run a tool. PLAN: to approve a plan (ALLOW_ONCE: then review each edit; ALLOW_ALWAYS: then accept edits) or keep planning (DENY with what to change). QUESTION: answered with answerQuestion (or DENY). ELICITATION: an MCP server's form, answered with answerElicitation.",
  values: ['PERMISSION', 'PLAN', 'QUESTION', 'ELICITATION'] as const,
});

const PermissionDecision = builder.enumType('PermissionDecision', {
  values: {
    ALLOW_ONCE: { description: 'Allow this once.' },
    ALLOW_ALWAYS: { description: 'Allow, and keep the rule the agent offered (see alwaysAllowRule).' },
    DENY: { description: 'Deny; the message tells the agent why or what to do instead.' },
  },
});

export const AnswerSource = builder.enumType('AnswerSource', {
  description: 'Where an answer was given, for the session log. Answers from links and chats (LINK, NTFY, SLACK, TELEGRAM in the log) come through those, never through this API.',
  values: ['FEED', 'CLI', 'API'] as const,
});

export const PendingPermission = builder.objectRef<PermissionRequest>('PendingPermission').implement({
  description: "A prompt the agent's hook is waiting on. The terminal shows it too: the first answer wins.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The request id answerPermission takes.' }),
    kind: t.field({ type: PermissionKind, resolve: (r) => r.kind }),
    tool: t.exposeString('tool'),
    input: t.exposeString('input', { description: 'The whole input (the command, the file and its change, the URL, the plan): never cut short.' }),
    fromSubagent: t.boolean({ resolve: (r) => r.agentId !== null }),
    alwaysAllowRule: t.string({
      nullable: true,
      description: 'What ALLOW_ALWAYS keeps, and where, e.g. "Bash(npm publish:*), kept in .claude/settings.local.json"; null when the agent offered no rule.',
      resolve: (r) => describeRule(alwaysAllowRule(r)),
    }),
    askedAt: t.field({ type: 'DateTime', resolve: (r) => new Date(r.askedAt) }),
    expiresAt: t.field({ type: 'DateTime', description: 'When its hook stops waiting here.', resolve: (r) => new Date(r.expiresAt) }),
  }),
});

builder.objectFields(Session, (t) => ({
  pendingPermissions: t.field({
    type: [PendingPermission],
    description: "The prompts that can be answered from Lookout right now, oldest first: several at once when tool calls run in parallel, or a subagent asks beside the main thread.",
    resolve: (session) => pendingPermissions(session, new Date()),
  }),
  pendingPermission: t.field({
    type: PendingPermission,
    nullable: true,
    deprecationReason: 'A session may have several prompts open: use pendingPermissions (this is its first).',
    description: 'The oldest prompt that can be answered from Lookout right now; null when none.',
    resolve: (session) => pendingPermission(session, new Date()),
  }),
}));

const AnswerPermissionInput = builder.inputType('AnswerPermissionInput', {
  fields: (t) => ({
    requestId: t.string({ required: true, validate: z.string().trim().min(3).max(500) }),
    decision: t.field({ type: PermissionDecision, required: true }),
    message: t.string({ validate: z.string().trim().min(1).max(2000), description: 'With DENY: why, or what to do instead.' }),
    via: t.field({ type: AnswerSource, description: 'Where the answer was given (default API).' }),
  }),
  validate: z
    .object({ decision: z.string(), message: z.string().nullish() })
    .loose()
    .refine((i) => i.decision === 'DENY' || !i.message, { message: 'goes only with DENY', path: ['message'] }),
});

/** The ways answering a prompt or a question can fail, each typed. */
export const ANSWER_ERRORS = [
  InputValidationError,
  SessionNotFoundError,
  NotYoursError,
  PermissionAlreadyAnsweredError,
  PermissionExpiredError,
  CannotAlwaysAllowError,
  InvalidAnswerError,
  AnswerNotDeliveredError,
];

builder.mutationFields((t) => ({
  answerPermission: t.field({
    type: Session,
    ...needs('act', "Answers a pending prompt: the agent's waiting hook gets the decision at once; it succeeds once the hook has received it."),
    errors: { types: ANSWER_ERRORS },
    args: { input: t.arg({ type: AnswerPermissionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.attention.answerPermission(input.requestId, { decision: input.decision, message: input.message, by: input.via ?? 'API' }, actorOf(ctx)),
  }),
}));
