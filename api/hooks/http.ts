// POST /hooks/claude-code: Claude Code's http hook, and the Lookout CLI's command hook (which sends
// the same payload with a `lookout` context, possibly several spooled ones at once, oldest first).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AttentionService } from '../attention/service.ts';
import { type ClaudeCodeHook, claudeCodeHookSchema, type HookStep, mapClaudeCodeHook } from './claude-code.ts';

export const CLAUDE_CODE_HOOK_PATH = '/hooks/claude-code';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Records one hook event's steps in order; each step's event id derives from the hook's own. */
export async function recordHook(attention: AttentionService, hook: ClaudeCodeHook): Promise<number> {
  const steps = mapClaudeCodeHook(hook);
  const { session_id: sessionId, lookout } = hook;
  for (const [index, step] of steps.entries()) {
    const event = { sessionId, at: lookout?.at, eventId: lookout?.eventId ? `${lookout.eventId}:${index}` : undefined };
    await recordStep(attention, event, step);
  }
  return steps.length;
}

function recordStep(attention: AttentionService, event: { sessionId: string; at?: Date; eventId?: string }, step: HookStep) {
  switch (step.kind) {
    case 'register':
      return attention.registerSession({ ...event, ...step.details, titleIfNone: step.titleIfNone });
    case 'speaker':
      return attention.recordSpeaker({ ...event, speaker: step.speaker });
    case 'activity':
      return attention.recordActivity({ ...event, ...step.activity });
    case 'worktree':
      return attention.reportWorktree({ ...event, ...step.worktree });
    case 'close':
      return attention.closeSession({ ...event, closedBy: step.closedBy });
  }
}

export async function handleClaudeCodeHook(req: IncomingMessage, res: ServerResponse, attention: AttentionService) {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST a Claude Code hook payload here.' });
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return reply(res, 400, { error: 'The body is not JSON.' });
  }
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
