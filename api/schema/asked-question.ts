// AskedQuestion: one question an agent asks (AskUserQuestion), with its options, and the mutation
// that answers a question prompt. The answer goes to the waiting hook as the agent's own dialog
// would give it.
import { z } from 'zod';
import type { AskedQuestion as Asked } from '../attention/permissions.ts';
import { builder } from './builder.ts';
import { ANSWER_ERRORS, AnswerSource, PendingPermission } from './pending-permission.ts';
import { actorOf, needs } from './scopes.ts';
import { Session } from './session.ts';

const QuestionOption = builder.objectRef<Asked['options'][number]>('QuestionOption').implement({
  fields: (t) => ({
    label: t.exposeString('label', { description: 'What answerQuestion takes among its choices.' }),
    description: t.exposeString('description', { nullable: true }),
  }),
});

export const AskedQuestion = builder.objectRef<Asked>('AskedQuestion').implement({
  description: 'One question of a QUESTION prompt.',
  fields: (t) => ({
    question: t.exposeString('question', { description: 'The question, as answerQuestion names it.' }),
    header: t.exposeString('header', { nullable: true, description: 'Its short heading, when the agent gave one.' }),
    multiSelect: t.exposeBoolean('multiSelect', { description: 'Whether several options may be chosen.' }),
    options: t.field({ type: [QuestionOption], resolve: (q) => q.options }),
  }),
});

builder.objectField(PendingPermission, 'questions', (t) =>
  t.field({
    type: [AskedQuestion],
    description: 'What a QUESTION asks (empty for the other kinds): answer every one with answerQuestion.',
    resolve: (r) => r.questions ?? [],
  }),
);

const QuestionAnswerInput = builder.inputType('QuestionAnswerInput', {
  fields: (t) => ({
    question: t.string({ required: true, validate: z.string().min(1).max(2000), description: 'The question answered, as asked.' }),
    choices: t.stringList({ description: 'Labels of the options chosen (one, for a single choice).', validate: z.array(z.string().min(1).max(2000)).max(20) }),
    other: t.string({ validate: z.string().trim().min(1).max(2000), description: 'Words of your own ("Other"), instead of or beside the options.' }),
  }),
});

const AnswerQuestionInput = builder.inputType('AnswerQuestionInput', {
  fields: (t) => ({
    requestId: t.string({ required: true, validate: z.string().trim().min(3).max(500) }),
    answers: t.field({ type: [QuestionAnswerInput], required: true, description: 'One answer for each question asked.', validate: z.array(z.unknown()).min(1).max(10) }),
    via: t.field({ type: AnswerSource, description: 'Where the answer was given (default API).' }),
  }),
});

builder.mutationFields((t) => ({
  answerQuestion: t.field({
    type: Session,
    ...needs('act', "Answers a question the agent asks: its waiting hook gets the answers at once; it succeeds once the hook has received them."),
    errors: { types: ANSWER_ERRORS },
    args: { input: t.arg({ type: AnswerQuestionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.attention.answerQuestion(
        input.requestId,
        { answers: input.answers.map((a) => ({ question: a.question, choices: a.choices ?? [], other: a.other })), by: input.via ?? 'API' },
        actorOf(ctx),
      ),
  }),
}));
