// Answering prompts from the terminal: `lookout allow`, `deny` and `answer`.
import { sessionOfRequest } from '../shared/hook-wire.ts';
import { CliError, graphql } from './graphql.ts';
import { UsageError } from './usage.ts';
import type { Server } from './hook.ts';

const ANSWER = `mutation($input: AnswerPermissionInput!) {
  answerPermission(input: $input) {
    __typename
    ... on Error { message }
    ... on InputValidationError { issues { path message } }
    ... on MutationAnswerPermissionSuccess { data { id } }
  }
}`;

/**
 * A refused answer in the CLI's words: what it is about and what to run, never the API's own
 * names; the server's message where it already says that.
 */
function refused(result: { __typename?: string; message?: string; issues?: { path: string[]; message: string }[] }, requestId?: string): void {
  if (!result.message) return;
  if (result.__typename === 'SessionNotFoundError') throw new CliError(`No session "${sessionOfRequest(requestId ?? '')}" is yours here: lookout ls shows the prompts you can answer.`);
  if (result.__typename === 'PermissionExpiredError') {
    throw new CliError(`Nothing waits for an answer to ${requestId} here: answered in the terminal, its hook stopped waiting, or the id is mistyped (lookout ls shows the prompts you can answer).`);
  }
  const issues = result.issues?.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`).join('; ');
  throw new CliError(issues || result.message);
}

/** A prompt's id as lookout ls shows it; a session's id alone (no ":") is a usage error that says so. */
function promptId(verb: string, id: string | undefined): string {
  if (!id) throw new UsageError(`${verb} needs the prompt's id: lookout ls shows it.`);
  if (!id.includes(':')) throw new UsageError(`"${id}" is a session's id, not a prompt's: lookout ls shows each prompt's id (the session's, a ":", and more).`);
  return id;
}

/** `allow ID [--always]` and `deny ID [--message TEXT]`: the first answer wins, wherever it is given. */
export async function answerPrompt(server: Server, verb: 'allow' | 'deny', id: string | undefined, values: { always?: boolean; message?: string }) {
  const requestId = promptId(verb, id);
  if (verb === 'allow' && values.message !== undefined) throw new UsageError('--message goes with deny.');
  if (verb === 'deny' && values.always) throw new UsageError('--always goes with allow.');
  const decision = verb === 'deny' ? 'DENY' : values.always ? 'ALLOW_ALWAYS' : 'ALLOW_ONCE';
  const input = { requestId, decision, via: 'CLI', ...(values.message ? { message: values.message } : {}) };
  const { answerPermission: result } = await graphql<{ answerPermission: { __typename: string; message?: string; issues?: { path: string[]; message: string }[] } }>(server, ANSWER, { input });
  refused(result, requestId);
  const said = verb === 'deny' ? `Denied ${requestId}${values.message ? `: ${values.message}` : ''}` : `${values.always ? 'Always allowed' : 'Allowed'} ${requestId}`;
  console.log(`${said}.`);
}

const QUESTIONS = `query($id: ID!) {
  session(id: $id) { pendingPermissions { id kind questions { question options { label } } elicitation { fields { name type } } } }
}`;
const ANSWER_ELICITATION = `mutation($input: AnswerElicitationInput!) {
  answerElicitation(input: $input) {
    __typename
    ... on Error { message }
    ... on InputValidationError { issues { path message } }
  }
}`;
const ANSWER_QUESTION = `mutation($input: AnswerQuestionInput!) {
  answerQuestion(input: $input) {
    __typename
    ... on Error { message }
    ... on InputValidationError { issues { path message } }
    ... on MutationAnswerQuestionSuccess { data { id } }
  }
}`;

/** A prompt `answer` can answer, as the server shows it. */
interface Answerable {
  id: string;
  kind: string;
  questions: { question: string; options: { label: string }[] }[];
  elicitation: { fields: { name: string; type: string }[] | null } | null;
}

/** `answer ID ...`: a question with its options' labels, or an MCP server's form with FIELD=VALUE, --decline or --cancel. */
export async function answerCommand(server: Server, id: string | undefined, words: string[], values: { other?: string; decline?: boolean; cancel?: boolean }) {
  const requestId = promptId('answer', id);
  const { session } = await graphql<{ session: { pendingPermissions: Answerable[] } | null }>(server, QUESTIONS, { id: sessionOfRequest(requestId) });
  const pending = session?.pendingPermissions.find((request) => request.id === requestId);
  // Said as the server would refuse an answer to it.
  if (!pending) return refused({ __typename: session ? 'PermissionExpiredError' : 'SessionNotFoundError', message: 'not found' }, requestId);
  if (pending.kind === 'ELICITATION') return answerElicitation(server, pending, words, values);
  if (values.decline || values.cancel) throw new UsageError("--decline and --cancel answer an MCP server's form.");
  return answerQuestion(server, pending, words, values.other);
}

/** An MCP server's form from the command line: FIELD=VALUE each (a list: comma-separated), or --decline, or --cancel. */
async function answerElicitation(server: Server, pending: Answerable, words: string[], values: { other?: string; decline?: boolean; cancel?: boolean }) {
  if (values.other !== undefined) throw new UsageError("--other answers a question; an MCP server's form takes FIELD=VALUE.");
  if (values.decline && values.cancel) throw new UsageError('--decline or --cancel: pass one.');
  const action = values.decline ? 'DECLINE' : values.cancel ? 'CANCEL' : 'ACCEPT';
  if (action !== 'ACCEPT' && words.length) throw new UsageError(`--${action.toLowerCase()} takes no FIELD=VALUE.`);
  const fields = pending.elicitation?.fields ?? [];
  const given = words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 1) throw new UsageError(`"${word}" is not FIELD=VALUE.`);
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const field = fields.find((f) => f.name === name);
    if (!field) throw new UsageError(`The form has no field "${name}": it has ${fields.map((f) => f.name).join(', ')}.`);
    switch (field.type) {
      case 'NUMBER':
      case 'INTEGER': {
        const number = Number(value);
        if (!value.trim() || !Number.isFinite(number)) throw new UsageError(`${name} takes a number, not "${value}".`);
        return { field: name, number };
      }
      case 'BOOLEAN':
        if (!/^(true|false|yes|no)$/i.test(value)) throw new UsageError(`${name} takes yes or no, not "${value}".`);
        return { field: name, boolean: /^(true|yes)$/i.test(value) };
      case 'CHOICES':
        return { field: name, choices: value.split(',').map((v) => v.trim()).filter(Boolean) };
      default:
        return { field: name, text: value };
    }
  });
  const { answerElicitation: result } = await graphql<{ answerElicitation: { __typename: string; message?: string; issues?: { path: string[]; message: string }[] } }>(
    server,
    ANSWER_ELICITATION,
    { input: { requestId: pending.id, action, values: given, via: 'CLI' } },
  );
  refused(result, pending.id);
  console.log(`${action === 'ACCEPT' ? 'Sent' : action === 'DECLINE' ? 'Declined' : 'Cancelled'} ${pending.id}.`);
}

/** A question, by its options' labels: each label answers the question that offers it; --other, a single question. */
async function answerQuestion(server: Server, pending: Answerable, labels: string[], other: string | undefined) {
  const requestId = pending.id;
  if (pending.kind !== 'QUESTION') throw new UsageError(`${requestId} is not a question: lookout allow or lookout deny it.`);
  const { questions } = pending;
  if (other !== undefined && questions.length > 1) throw new UsageError('--other answers a single question: answer this one from the page.');
  const answers = questions.map((q) => ({ question: q.question, choices: [] as string[], ...(other !== undefined ? { other } : {}) }));
  for (const label of labels) {
    const offering = questions.flatMap((q, i) => (q.options.some((o) => o.label === label) ? [i] : []));
    // A label no question offers goes to the only question, whose refusal names the options.
    const at = offering.length === 1 ? offering[0]! : questions.length === 1 && !offering.length ? 0 : -1;
    if (at < 0) throw new UsageError(offering.length ? `"${label}" is an option of several questions: answer from the page.` : `"${label}" is not one of the options.`);
    answers[at]!.choices.push(label);
  }
  const { answerQuestion: result } = await graphql<{ answerQuestion: { __typename: string; message?: string; issues?: { path: string[]; message: string }[] } }>(
    server,
    ANSWER_QUESTION,
    { input: { requestId, answers, via: 'CLI' } },
  );
  refused(result, requestId);
  console.log(`Answered ${requestId}.`);
}
