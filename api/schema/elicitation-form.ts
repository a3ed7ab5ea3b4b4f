// ElicitationForm: what an MCP server asks the user for (an elicitation) with its fields, and the
// mutation that answers it as the agent's own form would: accept with the values, decline, cancel.
import { z } from 'zod';
import type { ElicitationField as Field, ElicitationForm as Form } from '../attention/elicitations.ts';
import { builder } from './builder.ts';
import { ANSWER_ERRORS, AnswerSource, PendingPermission } from './pending-permission.ts';
import { actorOf, needs } from './scopes.ts';
import { Session } from './session.ts';

const ElicitationFieldType = builder.enumType('ElicitationFieldType', {
  description: 'TEXT, CHOICE: given as text. NUMBER, INTEGER: as number. BOOLEAN: as boolean. CHOICES: as choices (several of the options).',
  values: ['TEXT', 'NUMBER', 'INTEGER', 'BOOLEAN', 'CHOICE', 'CHOICES'] as const,
});

const ElicitationOption = builder.objectRef<Field['options'][number]>('ElicitationOption').implement({
  fields: (t) => ({
    value: t.exposeString('value', { description: 'What the answer gives.' }),
    label: t.exposeString('label', { description: 'What the user reads.' }),
  }),
});

const ElicitationField = builder.objectRef<Field>('ElicitationField').implement({
  description: 'One field of an MCP server\'s form.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The field answerElicitation names.' }),
    title: t.exposeString('title', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    type: t.field({ type: ElicitationFieldType, resolve: (f) => f.type }),
    required: t.exposeBoolean('required'),
    options: t.field({ type: [ElicitationOption], description: 'The values of a CHOICE or CHOICES.', resolve: (f) => f.options }),
    minimum: t.exposeFloat('minimum', { nullable: true, description: "A number's least value, or the fewest CHOICES." }),
    maximum: t.exposeFloat('maximum', { nullable: true, description: "A number's greatest value, or the most CHOICES." }),
    minLength: t.exposeInt('minLength', { nullable: true }),
    maxLength: t.exposeInt('maxLength', { nullable: true }),
    format: t.exposeString('format', { nullable: true, description: "A text's format: email, uri, date or date-time." }),
    default: t.exposeString('default', { nullable: true, description: 'The value the server suggests, as JSON.' }),
  }),
});

const ElicitationForm = builder.objectRef<Form>('ElicitationForm').implement({
  description: "What an MCP server asks the user for, through the agent.",
  fields: (t) => ({
    server: t.exposeString('server', { description: 'The MCP server asking.' }),
    message: t.exposeString('message'),
    fields: t.field({
      type: [ElicitationField],
      nullable: true,
      description: 'The form, in the server\'s order; null when it cannot be filled in here (answer it in the terminal).',
      resolve: (f) => f.fields,
    }),
  }),
});

builder.objectField(PendingPermission, 'elicitation', (t) =>
  t.field({ type: ElicitationForm, nullable: true, description: 'What an ELICITATION asks for (null for the other kinds).', resolve: (r) => r.elicitation ?? null }),
);

const ElicitationAction = builder.enumType('ElicitationAction', {
  values: {
    ACCEPT: { description: 'Send the values.' },
    DECLINE: { description: 'Refuse: the server hears the user said no.' },
    CANCEL: { description: 'Dismiss it without a choice.' },
  },
});

const ElicitationValueInput = builder.inputType('ElicitationValueInput', {
  description: "One field's value: set the member its type takes (text, number, boolean or choices).",
  fields: (t) => ({
    field: t.string({ required: true, validate: z.string().min(1).max(200) }),
    text: t.string({ validate: z.string().max(10_000) }),
    number: t.float(),
    boolean: t.boolean(),
    choices: t.stringList({ validate: z.array(z.string().max(2_000)).max(100) }),
  }),
});

const AnswerElicitationInput = builder.inputType('AnswerElicitationInput', {
  fields: (t) => ({
    requestId: t.string({ required: true, validate: z.string().trim().min(3).max(500) }),
    action: t.field({ type: ElicitationAction, required: true }),
    values: t.field({ type: [ElicitationValueInput], description: 'With ACCEPT: the fields filled in (every required one).', validate: z.array(z.unknown()).max(50) }),
    via: t.field({ type: AnswerSource, description: 'Where the answer was given (default API).' }),
  }),
});

builder.mutationFields((t) => ({
  answerElicitation: t.field({
    type: Session,
    ...needs('act', "Answers an MCP server's form: its waiting hook gets the answer at once; it succeeds once the hook has received it."),
    errors: { types: ANSWER_ERRORS },
    args: { input: t.arg({ type: AnswerElicitationInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.attention.answerElicitation(input.requestId, { action: input.action, values: input.values ?? [], by: input.via ?? 'API' }, actorOf(ctx)),
  }),
}));
