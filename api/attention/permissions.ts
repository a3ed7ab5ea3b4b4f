// A prompt the agent's hook is waiting on (permission, a plan, a question, an MCP server's form), answerable from
// Lookout: pure functions of (session, input, now). The first answer wins, whichever side it comes
// from: Lookout (the feed, the CLI, the API) or the terminal, which fires no hook; the session's
// next event proves it. An answer counts as given once the waiting hook says it received it.
import { sessionOfRequest } from '../../shared/hook-wire.ts';
import type { Session, WaitReason } from '../generated/prisma/client.ts';
import { type ElicitationAction, type ElicitationForm, type ElicitationValue, elicitationContent } from './elicitations.ts';
import { CannotAlwaysAllowError, InvalidAnswerError, PermissionAlreadyAnsweredError, PermissionExpiredError, SessionNotFoundError } from './errors.ts';

export type PermissionKind = 'PERMISSION' | 'PLAN' | 'QUESTION' | 'ELICITATION';
export type PermissionDecision = 'ALLOW_ONCE' | 'ALLOW_ALWAYS' | 'DENY';
/** Where an answer was given: the page, the CLI, the API, or a channel outside the page (an answer link, ntfy, Slack, Telegram). */
export type AnswerSource = 'FEED' | 'CLI' | 'API' | 'LINK' | 'NTFY' | 'SLACK' | 'TELEGRAM';
/**
 * PENDING: its hook waits for an answer from Lookout. EXPIRED: no hook waits here (it gave up, went
 * away, or never waited), while the terminal's dialog may still be open. ANSWERED: an answer given,
 * not yet received by the hook; DELIVERED: the hook received it. ANSWERED_IN_TERMINAL: a later event
 * showed the dialog was answered (or the session ended).
 */
export type PermissionStatus = 'PENDING' | 'ANSWERED' | 'DELIVERED' | 'ANSWERED_IN_TERMINAL' | 'EXPIRED';

/**
 * A tool call as hooks report it: its tool, and a digest of each field of its input. A later event
 * is about the same call when it names the same tool and every field both have is unchanged (an
 * answer may add fields, a question's `answers`; a hook may leave one out).
 */
export interface ToolCall {
  tool: string;
  input: Record<string, string>;
}

const sameToolCall = (asked: ToolCall, event: ToolCall): boolean =>
  asked.tool === event.tool && Object.entries(asked.input).every(([field, digest]) => !(field in event.input) || event.input[field] === digest);

/** One of the questions an AskUserQuestion asks. */
export interface AskedQuestion {
  question: string;
  header: string | null;
  multiSelect: boolean;
  options: { label: string; description: string | null }[];
}

/** An answer to one question: options it offers, and/or words of one's own ("Other"). */
export interface QuestionAnswer {
  question: string;
  choices: string[];
  other?: string | null;
}

/** What the agent asks, as its hook reported it. */
export interface PermissionAsk {
  id: string;
  /** The subagent asking, or null for the main thread. */
  agentId: string | null;
  tool: string;
  kind: PermissionKind;
  /** The whole input, as text a person checks before allowing it: never cut short. */
  input: string;
  /** The "always allow" rules the agent offers, exactly as it sent them. */
  suggestions: unknown[];
  /** Whether its hook waits for an answer from Lookout (else the prompt is only shown: answered in the terminal). */
  answerable?: boolean;
  /** The tool call asked about, to tell which of several open prompts a later event is about. */
  toolCall?: ToolCall | null;
  /** What the session waits for while this prompt is open (the main thread's, when it is the last one open). */
  wait?: { reason: WaitReason; detail: string | null };
  /** The tool's input as the agent sent it, for a plan or a question: the answer hands it back. */
  toolInput?: Record<string, unknown>;
  /** What a question asks. */
  questions?: AskedQuestion[];
  /** What an MCP server asks for (an elicitation): its message and form. */
  elicitation?: ElicitationForm;
}

export interface PermissionRequest extends PermissionAsk {
  askedAt: string;
  /** When the hook stops waiting for an answer here. */
  expiresAt: string;
  status: PermissionStatus;
  decision?: PermissionDecision;
  message?: string | null;
  answeredBy?: AnswerSource;
  answeredAt?: string;
  /** The suggestion an ALLOW_ALWAYS answer applies. */
  rule?: unknown;
  /** A question's answers, as the agent takes them: question text → label(s) or words. */
  answers?: Record<string, string>;
  /** An elicitation's answer: accepted with `content`, declined or cancelled. */
  action?: ElicitationAction;
  content?: Record<string, unknown>;
}

type WithRequest = Pick<Session, 'permissionRequest'>;

/** A session's prompts, oldest first: those open, and those ended since the last one opened. */
export function requestsOf(s: WithRequest): PermissionRequest[] {
  if (!s.permissionRequest) return [];
  const stored = JSON.parse(s.permissionRequest) as PermissionRequest | PermissionRequest[];
  // One object: stored before a session could have several prompts open.
  return Array.isArray(stored) ? stored : [stored];
}

export function requestOf(s: WithRequest, requestId: string): PermissionRequest | null {
  return requestsOf(s).find((request) => request.id === requestId) ?? null;
}

/** The prompts that can be answered from Lookout now, oldest first. */
export function pendingPermissions(s: WithRequest, now: Date): PermissionRequest[] {
  return requestsOf(s).filter((request) => request.status === 'PENDING' && new Date(request.expiresAt) > now);
}

/** The oldest prompt that can be answered from Lookout now. */
export function pendingPermission(s: WithRequest, now: Date): PermissionRequest | null {
  return pendingPermissions(s, now)[0] ?? null;
}

/** Whether a prompt's dialog may still be open: nothing has answered it yet, here or (as far as any event showed) in the terminal. */
const isOpen = (request: PermissionRequest) => request.status === 'PENDING' || request.status === 'EXPIRED';

/** The prompts of `agentId` (null: the main thread) whose dialogs may still be open, oldest first. */
export function openRequests(s: WithRequest, agentId: string | null): PermissionRequest[] {
  return requestsOf(s).filter((request) => isOpen(request) && request.agentId === agentId);
}

/** At most this many prompts are kept per session, the newest. */
const MAX_REQUESTS = 20;

const withRequests = <S extends WithRequest>(session: S, requests: PermissionRequest[]): S => ({
  ...session,
  permissionRequest: requests.length ? JSON.stringify(requests) : null,
});
const withRequest = <S extends WithRequest>(session: S, request: PermissionRequest): S =>
  withRequests(session, requestsOf(session).map((r) => (r.id === request.id ? request : r)));

/**
 * A prompt opens, beside any still open (parallel tool calls, a subagent's); those ended before are
 * let go. One whose hook does not wait for an answer here is only shown (EXPIRED from the start).
 */
export function openPermission<S extends WithRequest>(session: S, ask: PermissionAsk, at: Date, waitMs: number): S {
  const kept = requestsOf(session).filter((r) => r.id !== ask.id && (isOpen(r) || r.status === 'ANSWERED'));
  const status = ask.answerable === false ? 'EXPIRED' : 'PENDING';
  const opened: PermissionRequest = { ...ask, askedAt: at.toISOString(), expiresAt: new Date(at.getTime() + waitMs).toISOString(), status };
  return withRequests(session, [...kept, opened].slice(-MAX_REQUESTS));
}

/** Every open prompt `ends` picks was answered in the terminal: a later event showed its dialog closed. */
function answeredInTerminal<S extends WithRequest>(session: S, ends: (request: PermissionRequest) => boolean): S {
  const requests = requestsOf(session);
  if (!requests.some((r) => isOpen(r) && ends(r))) return session;
  return withRequests(session, requests.map((r) => (isOpen(r) && ends(r) ? { ...r, status: 'ANSWERED_IN_TERMINAL' as const } : r)));
}

/**
 * The waits of `agentId` (null: the main thread) ended with an event, not an answer from Lookout.
 * An event about one tool call (`toolCall`) ends only that call's prompt; one about none (a new
 * prompt from the user, the turn ending) ends them all.
 */
export function endPermission<S extends WithRequest>(session: S, agentId: string | null, toolCall?: ToolCall | null): S {
  return answeredInTerminal(session, (r) => r.agentId === agentId && (!toolCall || (r.toolCall != null && sameToolCall(r.toolCall, toolCall))));
}

/** Every subagent's open prompt ends: no dialog is open (the input prompt sits idle). */
export function endSubagentPermissions<S extends WithRequest>(session: S): S {
  return answeredInTerminal(session, (r) => r.agentId !== null);
}

/** The session ended: none of its prompts is open any more (a late answer finds none: PermissionExpiredError). */
export function closePermissions<S extends WithRequest>(session: S): S {
  return withRequests(session, []);
}

const DESTINATIONS: Record<string, string> = {
  session: 'for this session only',
  localSettings: 'kept in .claude/settings.local.json',
  projectSettings: 'kept in .claude/settings.json (shared)',
  userSettings: 'kept in ~/.claude/settings.json (every project)',
  cliArg: 'for this run only',
};

/** An "always allow" rule Lookout can say in words, with exactly the fields it says. */
export type AlwaysAllowRule = { destination: string } & (
  | { type: 'addRules'; rules: { toolName: string; ruleContent?: string }[]; behavior: 'allow' }
  | { type: 'setMode'; mode: string }
  | { type: 'addDirectories'; directories: string[] }
);

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 1_000;

/** A suggestion as a rule, copied field by field; null for any shape Lookout cannot show as it would be applied. */
function asRule(suggestion: unknown): AlwaysAllowRule | null {
  if (!suggestion || typeof suggestion !== 'object' || Array.isArray(suggestion)) return null;
  const s = suggestion as Record<string, unknown>;
  if (!isText(s.destination) || !(s.destination in DESTINATIONS)) return null;
  const destination = s.destination;
  if (s.type === 'addRules' && s.behavior === 'allow' && Array.isArray(s.rules) && s.rules.length > 0 && s.rules.length <= 20) {
    const rules = s.rules.map((r: unknown) => {
      const rule = (r ?? {}) as Record<string, unknown>;
      if (!isText(rule.toolName) || (rule.ruleContent !== undefined && !isText(rule.ruleContent))) return null;
      return rule.ruleContent === undefined ? { toolName: rule.toolName } : { toolName: rule.toolName, ruleContent: rule.ruleContent as string };
    });
    return rules.every((r) => r !== null) ? { type: 'addRules', rules: rules as { toolName: string; ruleContent?: string }[], behavior: 'allow', destination } : null;
  }
  if (s.type === 'setMode' && isText(s.mode)) return { type: 'setMode', mode: s.mode, destination };
  if (s.type === 'addDirectories' && Array.isArray(s.directories) && s.directories.length > 0 && s.directories.length <= 20 && s.directories.every(isText)) {
    return { type: 'addDirectories', directories: [...(s.directories as string[])], destination };
  }
  return null;
}

/**
 * The "always allow" rule Claude Code offered, as Lookout shows it and applies it: the first that
 * adds allow rules, else the first other it can say in words; none when it offered nothing such.
 */
export function alwaysAllowRule(request: PermissionAsk): AlwaysAllowRule | undefined {
  // A plan approved "always" goes on accepting edits, as the agent's own dialog offers.
  if (request.kind === 'PLAN') return { type: 'setMode', mode: 'acceptEdits', destination: 'session' };
  if (request.kind === 'QUESTION' || request.kind === 'ELICITATION') return undefined;
  const rules = request.suggestions.map(asRule).filter((rule) => rule !== null);
  return rules.find((rule) => rule.type === 'addRules') ?? rules[0];
}

/** The rule in words: "Bash(npm publish:*), kept in .claude/settings.local.json". */
export function describeRule(rule: AlwaysAllowRule | undefined): string | null {
  if (!rule) return null;
  const what =
    rule.type === 'addRules'
      ? rule.rules.map((r) => (r.ruleContent ? `${r.toolName}(${r.ruleContent})` : r.toolName)).join(', ')
      : rule.type === 'setMode'
        ? `switch to ${rule.mode} mode`
        : `allow access to ${rule.directories.join(', ')}`;
  return `${what}, ${DESTINATIONS[rule.destination]}`;
}

/** The request `requestId` while it can be answered: the first answer wins; a prompt no hook waits on any more cannot be answered. */
function answerable(session: WithRequest | null, requestId: string, now: Date): PermissionRequest {
  if (!session) throw new SessionNotFoundError(sessionOfRequest(requestId));
  const request = requestOf(session, requestId);
  if (!request) throw new PermissionExpiredError(requestId);
  if (request.status === 'ANSWERED' || request.status === 'DELIVERED') {
    const how = request.action ? request.action.toLowerCase() + 'ed' : request.answers ? 'answered' : request.decision;
    throw new PermissionAlreadyAnsweredError(requestId, `${how} from the ${request.answeredBy?.toLowerCase()}`);
  }
  if (request.status === 'ANSWERED_IN_TERMINAL') throw new PermissionAlreadyAnsweredError(requestId, 'in the terminal');
  if (request.status === 'EXPIRED' || new Date(request.expiresAt) <= now) throw new PermissionExpiredError(requestId);
  return request;
}

/** An answer from Lookout: allow (once, or always with the rule the agent offered) or deny. A question is answered with its answers instead. */
export function answerPermission<S extends WithRequest>(
  session: S | null,
  requestId: string,
  answer: { decision: PermissionDecision; message?: string | null; by: AnswerSource },
  now: Date,
): { session: S; request: PermissionRequest } {
  const request = answerable(session, requestId, now);
  if (request.kind === 'QUESTION' && answer.decision !== 'DENY') throw new InvalidAnswerError(requestId, 'a question is answered with its answers (answerQuestion), or denied.');
  if (request.kind === 'ELICITATION') throw new InvalidAnswerError(requestId, "an MCP server's request is accepted with its form, declined or cancelled (answerElicitation).");
  const rule = answer.decision === 'ALLOW_ALWAYS' ? alwaysAllowRule(request) : undefined;
  if (answer.decision === 'ALLOW_ALWAYS' && !rule) throw new CannotAlwaysAllowError(requestId);
  const answered: PermissionRequest = {
    ...request,
    status: 'ANSWERED',
    decision: answer.decision,
    message: answer.message ?? null,
    answeredBy: answer.by,
    answeredAt: now.toISOString(),
    ...(rule ? { rule } : {}),
  };
  return { session: withRequest(session!, answered), request: answered };
}

/**
 * Answers to a question, checked against what it asks: every question once; a single choice takes
 * one option or words of one's own, a multiple choice any number of both (joined with ", ", as the
 * agent's own dialog does).
 */
export function answerQuestion<S extends WithRequest>(
  session: S | null,
  requestId: string,
  answer: { answers: QuestionAnswer[]; by: AnswerSource },
  now: Date,
): { session: S; request: PermissionRequest } {
  const request = answerable(session, requestId, now);
  if (request.kind !== 'QUESTION' || !request.questions) throw new InvalidAnswerError(requestId, 'it is not a question: allow or deny it (answerPermission).');
  const answers: Record<string, string> = {};
  for (const asked of request.questions) {
    const given = answer.answers.filter((a) => a.question === asked.question);
    if (given.length !== 1) throw new InvalidAnswerError(requestId, `answer "${asked.question}" once.`);
    const { choices, other } = given[0]!;
    const unknown = choices.find((choice) => !asked.options.some((option) => option.label === choice));
    if (unknown !== undefined) throw new InvalidAnswerError(requestId, `"${unknown}" is not one of the options of "${asked.question}".`);
    const picked = [...new Set(choices)];
    const words = other?.trim() ? [other.trim()] : [];
    if (!asked.multiSelect && picked.length + words.length !== 1) throw new InvalidAnswerError(requestId, `"${asked.question}" takes one option, or words of your own.`);
    if (picked.length + words.length === 0) throw new InvalidAnswerError(requestId, `choose at least one option of "${asked.question}", or say something.`);
    answers[asked.question] = [...asked.options.map((o) => o.label).filter((label) => picked.includes(label)), ...words].join(', ');
  }
  const extra = answer.answers.find((a) => !request.questions!.some((q) => q.question === a.question));
  if (extra) throw new InvalidAnswerError(requestId, `it does not ask "${extra.question}".`);
  const answered: PermissionRequest = { ...request, status: 'ANSWERED', decision: 'ALLOW_ONCE', answers, answeredBy: answer.by, answeredAt: now.toISOString() };
  return { session: withRequest(session!, answered), request: answered };
}

/**
 * An MCP server's request (an elicitation) answered as the agent's own form would: accepted with
 * values checked against its form, declined, or cancelled.
 */
export function answerElicitation<S extends WithRequest>(
  session: S | null,
  requestId: string,
  answer: { action: ElicitationAction; values: ElicitationValue[]; by: AnswerSource },
  now: Date,
): { session: S; request: PermissionRequest } {
  const request = answerable(session, requestId, now);
  if (request.kind !== 'ELICITATION' || !request.elicitation) throw new InvalidAnswerError(requestId, 'it is not an MCP server\'s request: answer it with answerPermission or answerQuestion.');
  if (answer.action !== 'ACCEPT' && answer.values.length) throw new InvalidAnswerError(requestId, `${answer.action.toLowerCase()} takes no values.`);
  let content: Record<string, unknown> | undefined;
  if (answer.action === 'ACCEPT') {
    const checked = elicitationContent(request.elicitation, answer.values);
    if ('problem' in checked) throw new InvalidAnswerError(requestId, checked.problem);
    content = checked.content;
  }
  const answered: PermissionRequest = {
    ...request,
    status: 'ANSWERED',
    decision: answer.action === 'ACCEPT' ? 'ALLOW_ONCE' : 'DENY',
    action: answer.action,
    ...(content ? { content } : {}),
    answeredBy: answer.by,
    answeredAt: now.toISOString(),
  };
  return { session: withRequest(session!, answered), request: answered };
}

/** The hook said it received the answer: from now on the answer is given. */
export function deliverAnswer<S extends WithRequest>(session: S, requestId: string): S | null {
  const request = requestOf(session, requestId);
  if (request?.status !== 'ANSWERED') return null;
  return withRequest(session, { ...request, status: 'DELIVERED' });
}

/**
 * The hook stopped waiting (its time ran out, it went away, Lookout stopped), or never received the
 * answer given: the prompt is the terminal's alone.
 */
export function expirePermission<S extends WithRequest>(session: S, requestId: string): S | null {
  const request = requestOf(session, requestId);
  if (request?.status !== 'PENDING' && request?.status !== 'ANSWERED') return null;
  return withRequest(session, { ...request, status: 'EXPIRED' });
}
