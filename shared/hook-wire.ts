// The hooks' wire format, which the CLI and the server share: where agents' hooks post, which
// events need the session's git state, and how a prompt's request id is made. The CLI hook must
// start fast, so this file imports nothing.

export const CLAUDE_CODE_HOOK_PATH = '/hooks/claude-code';
/** Codex's hooks (same payload format), through the CLI's command hook. */
export const CODEX_HOOK_PATH = '/hooks/codex';
/** Where the PermissionRequest hook waits for an answer from Lookout. */
export const CLAUDE_CODE_DECISION_PATH = '/hooks/claude-code/decision';
/** The header an http hook sets to Claude Code's CLAUDE_CODE_ENTRYPOINT, so a headless run is known. */
export const ENTRYPOINT_HEADER = 'x-lookout-entrypoint';

/** Events that name the repository and branch (a prompt; a session or turn beginning or ending). */
export const NEEDS_REPOSITORY = new Set(['SessionStart', 'UserPromptSubmit', 'Stop', 'StopFailure', 'SessionEnd']);
/** Events after which uncommitted work matters: a session starting, a turn or the session ending. */
export const NEEDS_STATUS = new Set(['SessionStart', 'Stop', 'StopFailure', 'SessionEnd']);

/** A request id is the session's id and the hook event's own id: `${sessionId}:${eventId}`. */
export function requestIdOf(sessionId: string, eventId: string): string {
  return `${sessionId}:${eventId}`;
}

export function sessionOfRequest(requestId: string): string {
  const colon = requestId.lastIndexOf(':');
  return colon > 0 ? requestId.slice(0, colon) : requestId;
}
