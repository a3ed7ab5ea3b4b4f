// POST /hooks/claude-code: Claude Code's http hook, and the Lookout CLI's command hook (which sends
// the same payload with a `lookout` context, possibly several spooled ones at once, oldest first).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AttentionService } from '../attention/service.ts';
import { readBody } from '../read-body.ts';
import { illFormedTextAt, illFormedTextMessage } from '../well-formed-text.ts';
import { type ClaudeCodeHook, claudeCodeHookSchema, mapClaudeCodeHook } from './claude-code.ts';

export const CLAUDE_CODE_HOOK_PATH = '/hooks/claude-code';

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Records one hook event's steps in one write; each step's event id derives from the hook's own. */
async function recordHook(attention: AttentionService, hook: ClaudeCodeHook): Promise<number> {
  const { session_id: sessionId, lookout } = hook;
  const steps = mapClaudeCodeHook(hook).map((step, index) => ({
    ...step,
    eventId: lookout?.eventId ? `${lookout.eventId}:${index}` : undefined,
  }));
  if (steps.length) await attention.report({ sessionId, at: lookout?.at }, steps);
  return steps.length;
}

/** Answers a hook request the guard let through (its token and JSON body checked). */
export async function answerClaudeCodeHook(req: IncomingMessage, res: ServerResponse, attention: AttentionService) {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST a Claude Code hook payload here.' });
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return reply(res, 400, { error: 'The body is not JSON.' });
  }
  const illFormed = illFormedTextAt(body);
  if (illFormed) return reply(res, 400, { error: illFormedTextMessage(illFormed) });
  // Everything is checked before anything is recorded: a rejected batch changes nothing.
  const parsed = claudeCodeHookSchema.array().max(1000).safeParse(Array.isArray(body) ? body : [body]);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    return reply(res, 400, { error: 'Not a Claude Code hook payload.', issues });
  }
  let recorded = 0;
  for (const hook of parsed.data) recorded += await recordHook(attention, hook);
  reply(res, 200, { ok: true, events: parsed.data.length, recorded });
}
