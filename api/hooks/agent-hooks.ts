// Agents' hook events, mapped to what Lookout records. Claude Code and Codex send the same format
// (Codex's hooks were made after Claude Code's), so one mapping serves both, told apart by `HookAgent`,
// and both entry points: `lookout hook <agent>` (a command hook, which adds the time, host and git
// state it saw) and Claude Code's own `http` hook posting to /hooks/claude-code.
// Over 400 lines: the payload's schema and every event's meaning, read together as one table.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DateTimeResolver } from 'graphql-scalars';
import { z } from 'zod';
import type { ActivityChange, SessionDetails } from '../attention/transitions.ts';
import { elicitationForm } from '../attention/elicitations.ts';
import { type AskedQuestion, type PermissionAsk, type PermissionKind, type PermissionRequest, type ToolCall } from '../attention/permissions.ts';
import { requestIdOf } from '../../shared/hook-wire.ts';
import type { ReportStep } from '../attention/vocabulary.ts';

/** A time as GraphQL's DateTime scalar takes it: an RFC 3339 string within years 0000–9999. */
const dateTime = z.string().transform((text, ctx) => {
  try {
    return DateTimeResolver.parseValue(text) as Date;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 date-time such as 2026-11-27T09:00:00Z' });
    return z.NEVER;
  }
});

/** Optional, and null counts as absent: Codex sends null where Claude Code leaves a field out. */
const optional = <T extends z.ZodType>(type: T) => type.nullish().transform((value) => value ?? undefined);

/** What the Lookout CLI adds to a hook payload: the hook's own time and id, and the machine's view. */
const cliContext = z.object({
  at: dateTime.optional(),
  // No ":" (a request id is `${sessionId}:${eventId}`, read from its last ":"): two sessions' requests can never share an id.
  eventId: z.string().regex(/^[\w.-]{1,200}$/, 'must be 1 to 200 letters, digits, "_", "." or "-" (the CLI sends a UUID)').optional(),
  host: z.string().min(1).max(255).optional(),
  project: z.string().min(1).max(200).optional(),
  branch: z.string().min(1).max(255).optional(),
  /** null: not a repository, or git failed. */
  uncommittedFiles: z.number().int().min(0).nullable().optional(),
  worktreeState: z.string().max(100).nullable().optional(),
  /** The agent's process id, and whether it runs with nobody at a terminal (`claude -p`, the SDK). */
  pid: z.number().int().min(1).max(2 ** 31 - 1).optional(),
  headless: z.boolean().optional(),
  /** This event's hook waits for an answer from Lookout (see `waitsForAnswer` in the CLI). */
  waitsForAnswer: z.boolean().optional(),
});

// Only the fields Lookout reads; everything else Claude Code sends is ignored, never an error. Codex's
// hooks send the same format.
export const agentHookSchema = z
  .object({
    session_id: z.string().trim().min(1).max(200),
    hook_event_name: z.string().max(100),
    cwd: optional(z.string().max(4096)),
    transcript_path: optional(z.string().max(4096)),
    /** Present only inside a subagent (with agent_type); absent on the main thread. */
    agent_id: optional(z.string().max(200)),
    agent_type: optional(z.string().max(200)),
    prompt: optional(z.string()),
    tool_name: optional(z.string().max(200)),
    // An object for most tools; Codex's apply_patch may send the patch itself, kept as { input }.
    tool_input: optional(z.unknown()).transform((value) =>
      value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value)) ? (value as Record<string, unknown> | undefined) : { input: value },
    ),
    message: optional(z.string()),
    notification_type: optional(z.string()),
    reason: optional(z.string()),
    /** SessionStart: startup, resume, clear or compact. */
    source: optional(z.string()),
    last_assistant_message: optional(z.string()),
    background_tasks: optional(z.array(z.unknown())),
    /** Stop: wake-ups the session scheduled for itself (`/loop`, a cron). */
    session_crons: optional(z.array(z.unknown())),
    /** Elicitation: the MCP server asking, how (a form, or a URL to open), and the form's schema. */
    mcp_server_name: optional(z.string().max(200)),
    mode: optional(z.string().max(20)),
    url: optional(z.string().max(4096)),
    requested_schema: optional(z.unknown()),
    /** PermissionRequest: the "always allow" rules Claude Code offers. */
    permission_suggestions: optional(z.array(z.unknown()).max(20)),
    error: optional(z.unknown()),
    error_type: optional(z.string()),
    error_message: optional(z.string()),
    error_details: optional(z.unknown()),
    lookout: cliContext.optional(),
  })
  .loose();

export type AgentHook = z.infer<typeof agentHookSchema>;

/** What the server itself knows about where a hook came from. */
export interface HookOrigin {
  /** The request came from this machine: the agent's process and transcript are Lookout's to check. */
  sameHost: boolean;
  /** Claude Code's entry point, as an http hook's header carries it (`sdk-cli` for `claude -p`). */
  entrypoint?: string;
}

// SessionEnd reasons the user caused (`resume`: they switched to another session); anything else
// (`other`, `bypass_permissions_disabled`, ...) closed on its own.
const USER_END_REASONS = new Set(['clear', 'resume', 'logout', 'prompt_input_exit']);
const MAX_DETAIL = 4000;
const MAX_GIST = 300;

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value : undefined);

/** AskUserQuestion's first question, with its options: "Which database? (Postgres / SQLite)". */
function questionDetail(input: Record<string, unknown>): string | undefined {
  const questions = Array.isArray(input.questions) ? (input.questions as Record<string, unknown>[]) : [];
  const first = questions[0];
  const question = text(first?.question) ?? text(input.question);
  if (!question) return undefined;
  const options = (Array.isArray(first?.options) ? first.options : [])
    .map((o: unknown) => text((o as Record<string, unknown>)?.label) ?? text(o))
    .filter(Boolean);
  const more = questions.length > 1 ? ` (+${questions.length - 1} more)` : '';
  return oneLine(`${question}${options.length ? ` (${options.join(' / ')})` : ''}${more}`, MAX_DETAIL);
}

/** ExitPlanMode's plan: its first line of substance. */
function planDetail(input: Record<string, unknown>): string | undefined {
  const plan = text(input.plan);
  // "# Plan: OAuth login" says "Plan: OAuth login", not "Plan: Plan: OAuth login".
  const line = plan?.split('\n').map((l) => l.replace(/^[#>*\-\s]+/, '').replace(/^plan\s*:\s*/i, '').trim()).find(Boolean);
  return line ? oneLine(`Plan: ${line}`, MAX_DETAIL) : undefined;
}

function toolDetail(hook: AgentHook): string | undefined {
  if (!hook.tool_name) return hook.message ? oneLine(hook.message, MAX_DETAIL) : undefined;
  const input = hook.tool_input ?? {};
  const subject = ['command', 'file_path', 'url', 'pattern', 'description'].map((k) => input[k]).find((v) => typeof v === 'string');
  return oneLine(subject ? `${hook.tool_name}: ${subject}` : hook.tool_name, MAX_DETAIL);
}

const MAX_INPUT = 100_000;
/** A plan to approve that came without its text (Claude Code keeps it in a plan file it did not send). */
export const NO_PLAN = 'Claude Code did not send the plan with this prompt: read it in the terminal before approving.';
const upTo = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}\n(… ${text.length - max} more characters)` : text);

/** The whole input of a prompt, as a person checks it before allowing it: the command is never cut. */
function permissionInput(hook: AgentHook): string {
  const input = hook.tool_input ?? {};
  const str = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  const lines = (text: string, mark: string) => text.split('\n').map((line) => `${mark} ${line}`).join('\n');
  if (str('command') !== undefined) return str('command')!;
  if (hook.tool_name === 'ExitPlanMode') return str('plan') ?? NO_PLAN;
  if (str('file_path') && str('old_string') !== undefined) {
    return `${str('file_path')}\n${upTo(lines(str('old_string')!, '-'), 20_000)}\n${upTo(lines(str('new_string') ?? '', '+'), 20_000)}`;
  }
  if (str('file_path') && str('content') !== undefined) return `${str('file_path')} (${str('content')!.split('\n').length} lines)`;
  if (str('url')) return str('url')!;
  if (str('input')) return str('input')!;
  return upTo(JSON.stringify(input, null, 2), MAX_INPUT);
}

const MAX_QUESTIONS = 10;
const MAX_OPTIONS = 20;
const MAX_QUESTION_TEXT = 2_000;
const shortText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() && value.length <= MAX_QUESTION_TEXT ? value : undefined);

/**
 * What an AskUserQuestion asks, each question with its options; undefined for any shape Lookout
 * cannot answer exactly as the agent's own dialog would (then it is answered in the terminal).
 */
function askedQuestions(input: Record<string, unknown>): AskedQuestion[] | undefined {
  const questions = input.questions;
  if (!Array.isArray(questions) || !questions.length || questions.length > MAX_QUESTIONS) return undefined;
  const asked: AskedQuestion[] = [];
  for (const q of questions as Record<string, unknown>[]) {
    const question = shortText(q?.question);
    const options = Array.isArray(q?.options) ? (q.options as Record<string, unknown>[]) : [];
    if (!question || options.length > MAX_OPTIONS || asked.some((a) => a.question === question)) return undefined;
    const labelled = options.map((o) => ({ label: shortText(o?.label), description: shortText(o?.description) ?? null }));
    if (labelled.some((o) => !o.label) || new Set(labelled.map((o) => o.label)).size !== labelled.length) return undefined;
    asked.push({ question, header: shortText(q.header) ?? null, multiSelect: q.multiSelect === true, options: labelled as AskedQuestion['options'] });
  }
  return asked;
}

/** A question as a person reads it before answering: each question, then its options. */
function questionsText(questions: AskedQuestion[]): string {
  return questions
    .map((q) => [q.question, ...q.options.map((o) => `- ${o.label}${o.description ? `: ${o.description}` : ''}`)].join('\n'))
    .join('\n\n');
}

const KINDS: Record<string, PermissionKind> = { ExitPlanMode: 'PLAN', AskUserQuestion: 'QUESTION' };

/** A short digest of a JSON value. */
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value ?? null)).digest('base64url').slice(0, 22);

/** What became of a tool call, as its event says: it ran (finished or failed), or it was denied. */
function toolOutcomeOf(hook: AgentHook): Pick<ActivityChange, 'toolOutcome'> {
  if (hook.hook_event_name === 'PostToolUse' || hook.hook_event_name === 'PostToolUseFailure') return { toolOutcome: 'RAN' };
  return hook.hook_event_name === 'PermissionDenied' ? { toolOutcome: 'DENIED' } : {};
}

/** The tool call a hook event is about, to match its prompt (PermissionRequest carries no tool_use_id). */
function toolCallOf(hook: AgentHook): ToolCall | null {
  if (!hook.tool_name) return null;
  return { tool: hook.tool_name, input: Object.fromEntries(Object.entries(hook.tool_input ?? {}).map(([field, value]) => [field, digest(value)])) };
}

/**
 * A prompt (permission, a plan to approve, a question), tracked so that each tool call's prompt ends
 * with that call; answerable from Lookout when its hook waits for an answer (the command hook, not
 * Codex's unless opted in) and Lookout can give the answer exactly as the agent takes it.
 */
function permissionAsk(hook: AgentHook, waits: boolean): PermissionAsk {
  const eventId = hook.lookout?.eventId;
  const kind = KINDS[hook.tool_name ?? ''] ?? 'PERMISSION';
  const toolInput = hook.tool_input ?? {};
  const questions = kind === 'QUESTION' ? askedQuestions(toolInput) : undefined;
  const toolCall = toolCallOf(hook);
  const wait = toolWait(hook);
  return {
    // The http hook's event has no id of its own: its tool call names it.
    id: requestIdOf(hook.session_id, eventId ?? `call-${digest(toolCall)}`),
    answerable: waits && !!eventId && (kind !== 'QUESTION' || !!questions),
    agentId: hook.agent_id ?? null,
    tool: hook.tool_name ?? 'unknown',
    kind,
    input: upTo(questions ? questionsText(questions) : permissionInput(hook), MAX_INPUT),
    suggestions: hook.permission_suggestions ?? [],
    toolCall,
    wait: { reason: wait.waitReason!, detail: wait.waitDetail ?? null },
    // A plan or a question is answered by handing its input back (with the answers).
    ...(kind === 'PERMISSION' ? {} : { toolInput }),
    ...(questions ? { questions } : {}),
  };
}

/**
 * What the PermissionRequest hook prints for an answer from Lookout: Claude Code's decision JSON.
 * "Always allow" applies the rule Claude Code itself offered. Claude Code ignores an allow of a
 * plan or a question that does not carry `updatedInput` (since 2.1.199): a plan's is its input as
 * sent, a question's adds `answers` (question text → chosen label, or labels joined with ", ").
 */
export function permissionDecisionOutput(request: PermissionRequest): object {
  if (request.kind === 'ELICITATION') {
    // The Elicitation hook's own output: "action" accept, decline or cancel; "content" the form's values, with accept only.
    return { hookSpecificOutput: { hookEventName: 'Elicitation', action: request.action!.toLowerCase(), ...(request.content ? { content: request.content } : {}) } };
  }
  const updatedInput = request.toolInput && (request.answers ? { ...request.toolInput, answers: request.answers } : request.toolInput);
  const decision =
    request.decision === 'DENY'
      ? { behavior: 'deny', message: request.message || DENIED[request.kind] }
      : { behavior: 'allow', ...(updatedInput ? { updatedInput } : {}), ...(request.rule ? { updatedPermissions: [request.rule] } : {}) };
  return { hookSpecificOutput: { hookEventName: 'PermissionRequest', decision } };
}

const DENIED: Record<PermissionKind, string> = {
  PERMISSION: 'Denied from Lookout.',
  PLAN: 'Keep planning: the plan was not approved.',
  QUESTION: 'The user chose not to answer these questions from Lookout.',
  ELICITATION: 'Declined from Lookout.',
};

/** An MCP server asking the user for input: a question, in its own words. */
const elicitation = (hook: AgentHook): ActivityChange => ({ state: 'WAITING', waitReason: 'QUESTION', waitDetail: toolDetail({ ...hook, tool_name: undefined }) });

/** The MCP server's requests, as the one call its ElicitationResult ends (the events name no tool call). */
const elicitationCall = (hook: AgentHook): ToolCall => ({ tool: `Elicitation:${hook.mcp_server_name ?? 'unknown'}`, input: {} });

/**
 * An MCP server's request for input, shown with its form; answerable from Lookout when its hook
 * waits for the answer (only when the user opted in: Claude Code shows its own form only once the
 * hook has returned) and the form is one Lookout can fill in whole. A URL to open is the terminal's.
 */
function elicitationAsk(hook: AgentHook, waits: boolean): PermissionAsk {
  const eventId = hook.lookout?.eventId;
  const server = hook.mcp_server_name ?? 'unknown';
  const message = hook.message ?? '';
  const form = elicitationForm(server, message, hook.mode === 'url' ? undefined : hook.requested_schema);
  const wait = elicitation(hook);
  const toolCall = elicitationCall(hook);
  return {
    id: requestIdOf(hook.session_id, eventId ?? `elicitation-${digest([server, message, hook.requested_schema])}`),
    answerable: waits && !!eventId && form.fields !== null,
    agentId: hook.agent_id ?? null,
    tool: server,
    kind: 'ELICITATION',
    input: upTo(hook.mode === 'url' && hook.url ? `${message}\n${hook.url}` : message, MAX_INPUT),
    suggestions: [],
    toolCall,
    wait: { reason: wait.waitReason!, detail: wait.waitDetail ?? null },
    elicitation: form,
  };
}

/** What a tool call that waits for the user waits for: a question, a plan to review, or permission. */
function toolWait(hook: AgentHook): ActivityChange {
  const input = hook.tool_input ?? {};
  if (hook.tool_name === 'AskUserQuestion') return { state: 'WAITING', waitReason: 'QUESTION', waitDetail: questionDetail(input) ?? 'Claude has a question' };
  if (hook.tool_name === 'ExitPlanMode') return { state: 'WAITING', waitReason: 'REVIEW', waitDetail: planDetail(input) ?? 'A plan to approve' };
  return { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: toolDetail(hook) };
}

const FAILURE_WORDS: Record<string, string> = {
  rate_limit: 'Rate limited',
  authentication_failed: 'Authentication failed',
  oauth_org_not_allowed: 'This organisation is not allowed',
  billing_error: 'A billing problem',
  invalid_request: 'The request was invalid',
  model_not_found: 'The model was not found',
  server_error: 'Server error',
  max_output_tokens: 'The answer was too long',
  unknown: 'Failed',
};

/** A failed turn in the user's words: what the assistant said, else the error's message, else its type in words. */
function failureDetail(hook: AgentHook): string {
  const details = hook.error_details as Record<string, unknown> | string | undefined;
  const type = text(hook.error_type) ?? text(hook.error);
  const said =
    text(hook.last_assistant_message) ??
    text(hook.error_message) ??
    text(details) ??
    text(typeof details === 'object' && details ? details.message : undefined) ??
    (type && (FAILURE_WORDS[type] ?? type)) ??
    text(hook.message) ??
    'Failed';
  return oneLine(said, MAX_DETAIL);
}

function details(hook: AgentHook, origin: HookOrigin, agent: string): SessionDetails {
  const cli = hook.lookout;
  return {
    agent,
    cwd: hook.cwd,
    // The CLI knows the repository (worktree-aware); the http hook only knows the folder.
    project: cli?.project ?? (hook.cwd ? path.basename(hook.cwd) : undefined),
    branch: cli?.branch,
    host: cli?.host,
    // Another machine's process ids and paths mean nothing here.
    ...(origin.sameHost ? { agentPid: cli?.pid, transcriptPath: hook.transcript_path } : {}),
  };
}

/** The git state, when the CLI measured it (the server never runs git). */
function worktree(hook: AgentHook): ReportStep[] {
  const cli = hook.lookout;
  if (!cli || cli.uncommittedFiles === undefined) return [];
  // A new session (not one resumed) finds the tree as another left it: that is not its work.
  const found = hook.hook_event_name === 'SessionStart' && hook.source !== 'resume';
  return [{ kind: 'worktree', worktree: { uncommittedFiles: cli.uncommittedFiles, branch: cli.branch, state: cli.worktreeState ?? null, found } }];
}

/**
 * Background work that comes back to the turn by itself: a subagent, a workflow, a teammate, a
 * remote session. A shell or a monitor (a dev server, `tail -f`) may run for ever beside a turn that
 * is over; a task with a command and no type is one.
 */
function comesBack(task: unknown): boolean {
  const fields = task && typeof task === 'object' ? (task as Record<string, unknown>) : {};
  if (typeof fields.type === 'string') return !/shell|bash|monitor/i.test(fields.type);
  return typeof fields.command !== 'string';
}

export interface HookAgent {
  /** The agent's name in the feed. */
  name: string;
  /** Whether its PermissionRequest hook waits for an answer, when the hook does not say. */
  waitsForAnswer: boolean;
}

export const CLAUDE_CODE: HookAgent = { name: 'claude-code', waitsForAnswer: true };
/** Codex runs its PermissionRequest hook before it shows its own prompt: a hook that waits would lock the user out, so it waits only when opted in. */
export const CODEX: HookAgent = { name: 'codex', waitsForAnswer: false };

/** One mapping for Claude Code's hooks and Codex's, which share their format. */
export function mapAgentHook(hook: AgentHook, origin: HookOrigin = { sameHost: false }, agent: HookAgent = CLAUDE_CODE): ReportStep[] {
  const register: ReportStep = { kind: 'register', details: details(hook, origin, agent.name) };
  const waits = hook.lookout?.waitsForAnswer ?? agent.waitsForAnswer;
  // An MCP server's form waits only when the CLI says so: Claude Code shows its own once the hook returns.
  const elicitationWaits = hook.lookout?.waitsForAnswer ?? false;
  const activity = (change: ActivityChange): ReportStep => ({ kind: 'activity', activity: change });
  const headless = hook.lookout?.headless ?? origin.entrypoint?.startsWith('sdk') ?? false;
  // A headless run ends with its turn: nobody is at a terminal to reply.
  const endIfHeadless: ReportStep[] = headless ? [{ kind: 'close', closedBy: 'AUTO' }] : [];

  // A subagent's events are its own: they never move the main thread, only its own prompt.
  if (hook.agent_id && hook.hook_event_name !== 'Notification') {
    const elicits = hook.hook_event_name === 'Elicitation';
    const asks = elicits || hook.hook_event_name === 'PermissionRequest' || (hook.hook_event_name === 'PreToolUse' && hook.tool_name === 'AskUserQuestion');
    // A subagent's MCP tool asking for input is a question, as the main thread's is.
    const wait = elicits ? elicitation(hook) : toolWait(hook);
    const agentId = hook.agent_id;
    const permission = hook.hook_event_name === 'PermissionRequest' ? permissionAsk(hook, waits) : elicits ? elicitationAsk(hook, elicitationWaits) : undefined;
    return [register, activity(asks ? { ...wait, agentId, waitDetail: agentDetail(hook, wait.waitDetail), permission } : { state: 'WORKING', agentId, ...toolOutcomeOf(hook) })];
  }

  switch (hook.hook_event_name) {
    case 'SessionStart':
      // A new Claude Code process (startup, --resume): whatever the last one left open is closed.
      // Compaction happens within a turn, which goes on.
      if (hook.source === 'compact') return [register, ...worktree(hook)];
      return [register, activity({ state: 'IDLE', hint: true }), ...worktree(hook)];
    case 'UserPromptSubmit': {
      const title = hook.prompt ? oneLine(hook.prompt, 120) : undefined;
      return [{ ...register, titleIfNone: title || undefined }, { kind: 'speaker', speaker: 'USER' }, activity({ state: 'WORKING' })];
    }
    case 'PreToolUse':
      // A question asks the user whatever the permission mode; it may come with no PermissionRequest.
      return [register, activity(hook.tool_name === 'AskUserQuestion' ? toolWait(hook) : { state: 'WORKING', toolCall: toolCallOf(hook) })];
    case 'PostToolUse':
    case 'PostToolUseFailure':
    case 'PermissionDenied':
      // Each proves its tool call's prompt was answered (or refused) and the agent carries on; another call's prompt may still be open.
      return [register, activity({ state: 'WORKING', toolCall: toolCallOf(hook), ...toolOutcomeOf(hook) })];
    case 'PermissionRequest':
      return [register, activity({ ...toolWait(hook), permission: permissionAsk(hook, waits) })];
    case 'Elicitation':
      return [register, activity({ ...elicitation(hook), permission: elicitationAsk(hook, elicitationWaits) })];
    case 'ElicitationResult':
      // Answered in the terminal: that server's form closes; another prompt may still be open.
      return [register, activity({ state: 'WORKING', hint: true, toolCall: elicitationCall(hook) })];
    case 'Notification':
      return notification(hook, register);
    case 'Stop': {
      const backgroundTasks = (hook.background_tasks ?? []).filter(comesBack).length + (hook.session_crons?.length ?? 0);
      const message = text(hook.last_assistant_message) && oneLine(hook.last_assistant_message!, MAX_GIST);
      return [
        register,
        { kind: 'speaker', speaker: 'ASSISTANT', message },
        activity({ state: 'IDLE', backgroundTasks }),
        ...worktree(hook),
        ...(backgroundTasks ? [] : endIfHeadless),
      ];
    }
    case 'StopFailure':
      return [register, activity({ state: 'IDLE', waitReason: 'ERROR', waitDetail: failureDetail(hook) }), ...worktree(hook), ...endIfHeadless];
    case 'Interrupt':
      // Codex: the user interrupted the turn (Esc); whatever was open is closed.
      return [register, activity({ state: 'IDLE' }), ...endIfHeadless];
    case 'SessionEnd':
      return [register, { kind: 'close', closedBy: USER_END_REASONS.has(hook.reason ?? '') ? 'USER' : 'AUTO' }, ...worktree(hook)];
    default:
      // SubagentStart/SubagentStop without an agent id, compaction, unknown events: nothing to change.
      return [];
  }
}

/** A subagent's prompt says whose it is. */
function agentDetail(hook: AgentHook, detail: string | null | undefined): string | null {
  const who = hook.agent_type ? `${hook.agent_type} agent` : 'A subagent';
  return oneLine(detail ? `${who} · ${detail}` : who, MAX_DETAIL);
}

/** Notifications only hint: they never replace what a specific hook said. */
function notification(hook: AgentHook, register: ReportStep): ReportStep[] {
  const hint = (change: ActivityChange): ReportStep[] => [register, { kind: 'activity', activity: { ...change, hint: true } }];
  const said = hook.message ? oneLine(hook.message, MAX_DETAIL) : undefined;
  switch (hook.notification_type) {
    case 'permission_prompt':
      return hint({ state: 'WAITING', waitReason: 'PERMISSION', waitDetail: said });
    case 'elicitation_dialog':
    case 'elicitation_url_dialog':
    case 'agent_needs_input':
      return hint({ state: 'WAITING', waitReason: 'QUESTION', waitDetail: said });
    case 'elicitation_complete':
      return hint({ state: 'WORKING' });
    case 'idle_prompt':
      return hint({ state: 'IDLE' });
    default:
      return [];
  }
}
