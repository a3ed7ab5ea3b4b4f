// Session: one agent conversation. Its queries, and the mutations through which agents report what
// happens and the human acts on the feed.
import { InputValidationError } from '@pothos/plugin-validation';
import { z } from 'zod';
import { NotInFeedError, NotYoursError, SessionNotFoundError, WriteBusyError, WriteUnknownError } from '../attention/errors.ts';
import { titleOf } from '../attention/rules.ts';
import { AgentState, ClosedBy, Speaker, WaitReason } from '../generated/prisma/client.ts';
import { isOpenableLink, LINK_SCHEMES } from '../../shared/links.ts';
import { builder } from './builder.ts';
import { actorOf, FeedScope, needs, ownerFilter } from './scopes.ts';

const AgentStateEnum = builder.enumType(AgentState, { name: 'AgentState', description: 'What the agent is doing.' });
const WaitReasonEnum = builder.enumType(WaitReason, {
  name: 'WaitReason',
  description: 'What an agent that stopped is waiting for; ERROR means it failed.',
});
const SpeakerEnum = builder.enumType(Speaker, { name: 'Speaker' });
const ClosedByEnum = builder.enumType(ClosedBy, {
  name: 'ClosedBy',
  description: 'USER: the human ended it. AUTO: the agent or its host did. ABANDONED: given up on.',
});
const ActivityStateEnum = builder.enumType('ActivityState', {
  description: 'The states an agent reports; a session ends through closeSession.',
  values: ['WORKING', 'WAITING', 'IDLE'] as const,
});

export const Session = builder.prismaObject('Session', {
  description: "One agent conversation, identified by the agent's own session id.",
  fields: (t) => ({
    id: t.exposeID('id'),
    agent: t.exposeString('agent', { description: 'e.g. claude-code' }),
    title: t.string({
      description: 'The first prompt; before there is one, the project and branch, or "New session".',
      resolve: titleOf,
    }),
    project: t.exposeString('project', { nullable: true, description: 'The repository name.' }),
    cwd: t.exposeString('cwd', { nullable: true }),
    branch: t.exposeString('branch', { nullable: true }),
    host: t.exposeString('host', { nullable: true, description: 'The machine the agent runs on.' }),
    owner: t.exposeString('owner', { description: 'The person whose agent reported it.' }),
    link: t.string({
      nullable: true,
      description: `A deep link that opens the session (${LINK_SCHEMES.join(', ')}).`,
      // Stored before links were checked: never handed out unless it is safe to open.
      resolve: (session) => (session.link && isOpenableLink(session.link) ? session.link : null),
    }),
    state: t.expose('state', { type: AgentStateEnum }),
    waitReason: t.expose('waitReason', { type: WaitReasonEnum, nullable: true }),
    waitDetail: t.exposeString('waitDetail', {
      nullable: true,
      description: 'e.g. the tool and command awaiting permission, or the question asked.',
    }),
    lastSpeaker: t.expose('lastSpeaker', { type: SpeakerEnum, nullable: true }),
    lastSpeakerAt: t.expose('lastSpeakerAt', { type: 'DateTime', nullable: true }),
    lastEventAt: t.expose('lastEventAt', { type: 'DateTime' }),
    uncommittedFiles: t.exposeInt('uncommittedFiles', { nullable: true, description: 'null: unknown; 0: clean.' }),
    closedBy: t.expose('closedBy', { type: ClosedByEnum, nullable: true }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    hidden: t.exposeBoolean('hidden'),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
    snoozedUntil: t.expose('snoozedUntil', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    events: t.relatedConnection('events', {
      cursor: 'seq',
      description: "The session's event log, oldest first (entries past the retention time are pruned).",
      query: { orderBy: { seq: 'asc' } },
    }),
  }),
});

// ---- Queries ---------------------------------------------------------------------------------

const sessionId = z.string().trim().min(1, 'must not be empty').max(200);
const shortText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

const SessionFilter = builder.inputType('SessionFilter', {
  fields: (t) => ({
    project: t.string({ validate: shortText(200) }),
    agent: t.string({ validate: shortText(100) }),
    host: t.string({ validate: shortText(255) }),
    state: t.field({ type: AgentStateEnum }),
    hidden: t.boolean(),
  }),
});

builder.queryFields((t) => ({
  session: t.prismaField({
    type: 'Session',
    nullable: true,
    ...needs('read'),
    args: { id: t.arg.id({ required: true, validate: sessionId }) },
    // Someone else's session is not there for you, unless you are an admin.
    resolve: (query, _root, args, ctx) => {
      const actor = actorOf(ctx);
      return ctx.db.session.findFirst({ ...query, where: { id: String(args.id), ...(actor.admin ? {} : { owner: actor.person }) } });
    },
  }),
  sessions: t.prismaConnection({
    type: 'Session',
    cursor: 'id',
    ...needs('read', 'Every stored session, most recently updated first, for tools.'),
    args: { filter: t.arg({ type: SessionFilter }), scope: t.arg({ type: FeedScope }) },
    resolve: (query, _root, { filter, scope }, ctx) =>
      ctx.db.session.findMany({
        ...query,
        where: {
          owner: ownerFilter(ctx, scope) ?? undefined,
          project: filter?.project ?? undefined,
          agent: filter?.agent ?? undefined,
          host: filter?.host ?? undefined,
          state: filter?.state ?? undefined,
          hidden: filter?.hidden ?? undefined,
        },
        orderBy: [{ updatedAt: 'desc' }, { id: 'asc' }],
      }),
  }),
  projects: t.stringList({
    ...needs('read', "The projects of every stored session (yours, or the scope's), by name: for the page's filter and mutes, quiet projects too."),
    args: { scope: t.arg({ type: FeedScope }) },
    resolve: async (_root, { scope }, ctx) => {
      const rows = await ctx.db.session.findMany({
        where: { owner: ownerFilter(ctx, scope) ?? undefined, project: { not: null } },
        distinct: ['project'],
        select: { project: true },
        orderBy: { project: 'asc' },
        take: MAX_PROJECTS,
      });
      return rows.map((row) => row.project!);
    },
  }),
}));

/** At most this many projects are listed. */
const MAX_PROJECTS = 1_000;

// ---- What agents report ----------------------------------------------------------------------

const FUTURE_TOLERANCE_MS = 5 * 60_000;
const eventAt = z
  .date()
  .refine((d) => d.getTime() <= Date.now() + FUTURE_TOLERANCE_MS, 'must not be in the future (more than 5 minutes of clock skew)');

const reportFields = (t: PothosSchemaTypes.InputFieldBuilder<typeof builder.$inferSchemaTypes, 'InputObject'>) => ({
  sessionId: t.string({ required: true, validate: sessionId, description: "The agent's own session id." }),
  at: t.field({
    type: 'DateTime',
    validate: eventAt,
    description: 'When it happened; defaults to now. An older time never moves the session backwards.',
  }),
  eventId: t.string({
    validate: shortText(200),
    description: "The reporter's id for this event: sending it again changes nothing.",
  }),
});

const RecordSpeakerInput = builder.inputType('RecordSpeakerInput', {
  description: 'Who spoke last. Registers the session on first use, with whatever details are given.',
  fields: (t) => ({
    ...reportFields(t),
    speaker: t.field({ type: SpeakerEnum, required: true }),
    agent: t.string({ validate: shortText(100) }),
    title: t.string({ validate: shortText(500) }),
    project: t.string({ validate: shortText(200) }),
    cwd: t.string({ validate: shortText(4096) }),
    branch: t.string({ validate: shortText(255) }),
    host: t.string({ validate: shortText(255) }),
    link: t.string({
      validate: z
        .string()
        .max(2048)
        .refine(isOpenableLink, `must be a URL with one of the schemes ${LINK_SCHEMES.map((s) => `${s}:`).join(', ')}`),
    }),
  }),
});

const RecordActivityInput = builder.inputType('RecordActivityInput', {
  description: 'What the agent is doing. WAITING needs a waitReason; IDLE may carry ERROR; WORKING clears the wait.',
  fields: (t) => ({
    ...reportFields(t),
    state: t.field({ type: ActivityStateEnum, required: true }),
    waitReason: t.field({ type: WaitReasonEnum }),
    waitDetail: t.string({ validate: shortText(4000) }),
  }),
  validate: z
    .object({ state: z.string(), waitReason: z.string().nullish() })
    .loose()
    .refine((i) => i.state !== 'WAITING' || !!i.waitReason, { message: 'is required when state is WAITING', path: ['waitReason'] })
    .refine((i) => i.state !== 'WORKING' || !i.waitReason, { message: 'must be empty when state is WORKING', path: ['waitReason'] })
    .refine((i) => i.state !== 'IDLE' || !i.waitReason || i.waitReason === 'ERROR', {
      message: 'can only be ERROR when state is IDLE',
      path: ['waitReason'],
    }),
});

const ReportWorktreeInput = builder.inputType('ReportWorktreeInput', {
  description: 'The git state of the session\'s folder.',
  fields: (t) => ({
    ...reportFields(t),
    uncommittedFiles: t.int({
      validate: z.number().int().min(0).max(1_000_000),
      description: 'How many files are uncommitted; null when unknown (not a repository, or git failed).',
    }),
    branch: t.string({ validate: shortText(255) }),
  }),
});

const CloseSessionInput = builder.inputType('CloseSessionInput', {
  fields: (t) => ({
    ...reportFields(t),
    closedBy: t.field({ type: ClosedByEnum, required: true }),
  }),
});

const reportErrors = { types: [InputValidationError, SessionNotFoundError, NotYoursError, WriteBusyError, WriteUnknownError] };

builder.mutationFields((t) => ({
  recordSpeaker: t.field({
    type: Session,
    ...needs('report'),
    errors: { types: [InputValidationError, NotYoursError, WriteBusyError, WriteUnknownError] },
    args: { input: t.arg({ type: RecordSpeakerInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.attention.recordSpeaker(input, actorOf(ctx)),
  }),
  recordActivity: t.field({
    type: Session,
    ...needs('report'),
    errors: reportErrors,
    args: { input: t.arg({ type: RecordActivityInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.attention.recordActivity(input, actorOf(ctx)),
  }),
  reportWorktree: t.field({
    type: Session,
    ...needs('report'),
    errors: reportErrors,
    args: { input: t.arg({ type: ReportWorktreeInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.attention.reportWorktree({ ...input, uncommittedFiles: input.uncommittedFiles ?? null }, actorOf(ctx)),
  }),
  closeSession: t.field({
    type: Session,
    ...needs('report'),
    errors: reportErrors,
    args: { input: t.arg({ type: CloseSessionInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.attention.closeSession(input, actorOf(ctx)),
  }),
}));

// ---- What the human does ---------------------------------------------------------------------

const MAX_SNOOZE_MS = 30 * 24 * 60 * 60_000;

builder.mutationFields((t) => ({
  markSeen: t.field({
    type: Session,
    ...needs('act', 'Takes the session out of the feed until its next event.'),
    errors: reportErrors,
    args: { sessionId: t.arg.string({ required: true, validate: sessionId }) },
    resolve: (_root, args, ctx) => ctx.attention.markSeen(args.sessionId, actorOf(ctx)),
  }),
  snoozeSession: t.field({
    type: Session,
    ...needs('act', 'Takes the session out of the feed until `until`, or until its reason changes.'),
    errors: { types: [InputValidationError, SessionNotFoundError, NotInFeedError, NotYoursError] },
    args: {
      sessionId: t.arg.string({ required: true, validate: sessionId }),
      until: t.arg({
        type: 'DateTime',
        required: true,
        validate: z
          .date()
          .refine((d) => d.getTime() > Date.now(), 'must be in the future')
          .refine((d) => d.getTime() <= Date.now() + MAX_SNOOZE_MS, 'must be within 30 days'),
      }),
    },
    resolve: (_root, args, ctx) => ctx.attention.snooze(args.sessionId, args.until, actorOf(ctx)),
  }),
  hideSession: t.field({
    type: Session,
    ...needs('act', 'Keeps the session out of the feed until it is unhidden.'),
    errors: reportErrors,
    args: { sessionId: t.arg.string({ required: true, validate: sessionId }) },
    resolve: (_root, args, ctx) => ctx.attention.setHidden(args.sessionId, true, actorOf(ctx)),
  }),
  unhideSession: t.field({
    type: Session,
    ...needs('act'),
    errors: reportErrors,
    args: { sessionId: t.arg.string({ required: true, validate: sessionId }) },
    resolve: (_root, args, ctx) => ctx.attention.setHidden(args.sessionId, false, actorOf(ctx)),
  }),
}));
