// Claude Code's hook events, mapped to what Lookout records. One mapping for both entry points:
// `lookout hook claude-code` (a command hook, which adds the time, host and git state it saw) and
// Claude Code's own `http` hook posting to /hooks/claude-code.
import path from 'node:path';
import { DateTimeResolver } from 'graphql-scalars';
import { z } from 'zod';
import type { SessionDetails } from '../attention/changes.ts';
import type { ReportStep } from '../attention/service.ts';

/** What the Lookout CLI adds to a hook payload: the hook's own time and id, and the machine's view. */
/** A time as GraphQL's DateTime scalar takes it: an RFC 3339 string within years 0000–9999. */
const dateTime = z.string().transform((text, ctx) => {
  try {
    return DateTimeResolver.parseValue(text) as Date;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 date-time such as 2026-11-27T09:00:00Z' });
    return z.NEVER;
  }
});

const cliContext = z.object({
  at: dateTime.optional(),
  eventId: z.string().min(1).max(200).optional(),
  host: z.string().min(1).max(255).optional(),
  project: z.string().min(1).max(200).optional(),
  branch: z.string().min(1).max(255).optional(),
  /** null: not a repository, or git failed. */
  uncommittedFiles: z.number().int().min(0).nullable().optional(),
});

// Only the fields Lookout reads; everything else Claude Code sends is ignored, never an error.
export const claudeCodeHookSchema = z
  .object({
    session_id: z.string().trim().min(1).max(200),
    hook_event_name: z.string().max(100),
    cwd: z.string().max(4096).optional(),
    prompt: z.string().optional(),
    tool_name: z.string().max(200).optional(),
    tool_input: z.record(z.string(), z.unknown()).optional(),
    message: z.string().optional(),
    notification_type: z.string().optional(),
    reason: z.string().optional(),
    error: z.unknown().optional(),
    lookout: cliContext.optional(),
  })
  .loose();

export type ClaudeCodeHook = z.infer<typeof claudeCodeHookSchema>;

// SessionEnd reasons the user caused; anything else closed on its own.
const USER_END_REASONS = new Set(['clear', 'logout', 'prompt_input_exit']);
const MAX_DETAIL = 4000;

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function toolDetail(hook: ClaudeCodeHook): string | undefined {
  if (!hook.tool_name) return hook.message ? oneLine(hook.message, MAX_DETAIL) : undefined;
  const input = hook.tool_input ?? {};
  const subject = ['command', 'file_path', 'url', 'pattern', 'description'].map((k) => input[k]).find((v) => typeof v === 'string');
  return oneLine(subject ? `${hook.tool_name}: ${subject}` : hook.tool_name, MAX_DETAIL);
}

function details(hook: ClaudeCodeHook): SessionDetails {
  const cli = hook.lookout;
  return {
    agent: 'claude-code',
    cwd: hook.cwd,
    // The CLI knows the repository (worktree-aware); the http hook only knows the folder.
    project: cli?.project ?? (hook.cwd ? path.basename(hook.cwd) : undefined),
    branch: cli?.branch,
    host: cli?.host,
  };
}

/** The git state, when the CLI measured it (an http hook cannot: the server may be elsewhere). */
function worktree(hook: ClaudeCodeHook): ReportStep[] {
  const cli = hook.lookout;
  if (!cli || cli.uncommittedFiles === undefined) return [];
  return [{ kind: 'worktree', worktree: { uncommittedFiles: cli.uncommittedFiles, branch: cli.branch } }];
}

export function mapClaudeCodeHook(hook: ClaudeCodeHook): ReportStep[] {
  const register: ReportStep = { kind: 'register', details: details(hook) };
  const working: ReportStep = { kind: 'activity', activity: { state: 'WORKING' } };
  const waiting = (waitReason: 'PERMISSION' | 'QUESTION', waitDetail?: string): ReportStep => ({
    kind: 'activity',
    activity: { state: 'WAITING', waitReason, waitDetail },
  });

  switch (hook.hook_event_name) {
    case 'SessionStart':
      return [register, ...worktree(hook)];
    case 'UserPromptSubmit': {
      const title = hook.prompt ? oneLine(hook.prompt, 120) : undefined;
      return [{ ...register, titleIfNone: title || undefined }, { kind: 'speaker', speaker: 'USER' }, working];
    }
    case 'PreToolUse':
    case 'PostToolUse':
      return [register, working];
    case 'PermissionRequest':
      return [register, waiting('PERMISSION', toolDetail(hook))];
    case 'Notification':
      if (hook.notification_type === 'permission_prompt') return [register, waiting('PERMISSION', toolDetail(hook))];
      if (hook.notification_type === 'elicitation_dialog') return [register, waiting('QUESTION', toolDetail(hook))];
      if (hook.notification_type === 'idle_prompt') return [register, { kind: 'activity', activity: { state: 'IDLE' } }];
      return [];
    case 'Stop':
      return [register, { kind: 'speaker', speaker: 'ASSISTANT' }, { kind: 'activity', activity: { state: 'IDLE' } }, ...worktree(hook)];
    case 'StopFailure': {
      const detail = typeof hook.error === 'string' ? hook.error : hook.message;
      return [register, { kind: 'activity', activity: { state: 'IDLE', waitReason: 'ERROR', waitDetail: detail ? oneLine(detail, MAX_DETAIL) : undefined } }];
    }
    case 'SessionEnd':
      return [register, { kind: 'close', closedBy: USER_END_REASONS.has(hook.reason ?? '') ? 'USER' : 'AUTO' }, ...worktree(hook)];
    default:
      // SubagentStop never changes who spoke last; unknown events are ignored.
      return [];
  }
}
