// Expected failures, returned as typed results: each implements the Error interface.
import { InputValidationError, type StandardSchemaV1 } from '@pothos/plugin-validation';
import {
  AnswerNotDeliveredError,
  CannotAlwaysAllowError,
  InvalidAnswerError,
  NotInFeedError,
  NotYoursError,
  PermissionAlreadyAnsweredError,
  PermissionExpiredError,
  SessionNotFoundError,
  WriteBusyError,
  WriteUnknownError,
} from '../attention/errors.ts';
import { builder } from './builder.ts';

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure: nothing was changed.',
  fields: (t) => ({ message: t.exposeString('message') }),
});

const InputValidationIssue = builder.objectRef<StandardSchemaV1.Issue>('InputValidationIssue').implement({
  description: 'One problem with one input field.',
  fields: (t) => ({
    message: t.exposeString('message'),
    path: t.stringList({
      description: 'Where the problem is, e.g. ["input", "title"].',
      resolve: (issue) => issue.path?.map((part) => String(typeof part === 'object' ? part.key : part)) ?? [],
    }),
  }),
});

builder.objectType(InputValidationError, {
  name: 'InputValidationError',
  description: 'The input was rejected; each issue names the field and what is wrong with it.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ issues: t.field({ type: [InputValidationIssue], resolve: (error) => error.issues }) }),
});

builder.objectType(SessionNotFoundError, {
  name: 'SessionNotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ sessionId: t.exposeString('sessionId') }),
});

builder.objectType(NotInFeedError, {
  name: 'NotInFeedError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ sessionId: t.exposeString('sessionId') }),
});

// The errors of answering a permission prompt, each naming the request.
for (const [type, name, description] of [
  [PermissionAlreadyAnsweredError, 'PermissionAlreadyAnsweredError', 'Someone answered first (from Lookout, or in the terminal): the first answer stands.'],
  [PermissionExpiredError, 'PermissionExpiredError', 'No hook waits for this answer any more: answer in the terminal.'],
  [CannotAlwaysAllowError, 'CannotAlwaysAllowError', 'The agent offered no rule to always allow this request.'],
  [AnswerNotDeliveredError, 'AnswerNotDeliveredError', 'No hook took the answer within 5 s (Lookout restarted, or the hook went away): the agent did not get it.'],
  [InvalidAnswerError, 'InvalidAnswerError', 'The answer does not fit the question: an option it does not offer, several for a single choice, or a question left out.'],
] as const) {
  builder.objectType(type, {
    name,
    description,
    interfaces: [ErrorInterface],
    fields: (t) => ({ requestId: t.exposeString('requestId') }),
  });
}

builder.objectType(NotYoursError, {
  name: 'NotYoursError',
  description: "The session is someone else's: only its owner (or an admin) reports on it or acts on it.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ sessionId: t.exposeString('sessionId') }),
});

builder.objectType(WriteBusyError, {
  name: 'WriteBusyError',
  description: 'Other Lookout processes kept writing first: nothing was stored; send it again.',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(WriteUnknownError, {
  name: 'WriteUnknownError',
  description: 'The database stopped answering during the write: it may be stored. Sending it again with the same eventId is safe.',
  interfaces: [ErrorInterface],
  fields: () => ({}),
});
