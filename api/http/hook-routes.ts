// POST /hooks/claude-code and /hooks/codex: Claude Code's http hook, and the Lookout CLI's command
// hook for either agent (which sends the same payload with a `lookout` context, possibly several
// spooled ones at once, oldest first).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotYoursError, SessionNotFoundError } from '../attention/errors.ts';
import type { AttentionService } from '../attention/service.ts';
import type { Principal } from '../tokens/scopes.ts';
import { readBody } from './read-body.ts';
import { inputProblem, inputProblemMessage } from './well-formed-text.ts';
import { z } from 'zod';
import { type AgentHook, agentHookSchema, type HookAgent, type HookOrigin, mapAgentHook, permissionDecisionOutput } from '../hooks/agent-hooks.ts';
import { ENTRYPOINT_HEADER } from '../../shared/hook-wire.ts';


function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A request from this machine: its agent's process, transcript and folder are this machine's. */
function origin(req: IncomingMessage): HookOrigin {
  const address = req.socket.remoteAddress ?? '';
  const entrypoint = req.headers[ENTRYPOINT_HEADER];
  return {
    sameHost: address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'),
    entrypoint: typeof entrypoint === 'string' && entrypoint ? entrypoint : undefined,
  };
}

/** One hook event's steps, as one report; each step's event id derives from the hook's own. */
function reportOf(hook: AgentHook, from: HookOrigin, agent: HookAgent) {
  const { session_id: sessionId, lookout } = hook;
  const steps = mapAgentHook(hook, from, agent).map((step, index) => ({
    ...step,
    eventId: lookout?.eventId ? `${lookout.eventId}:${index}` : undefined,
  }));
  return { event: { sessionId, at: lookout?.at }, steps };
}

/** Answers a hook request the guard let through (its token and JSON body checked), for Claude Code or Codex. */
export async function answerAgentHook(
  req: IncomingMessage,
  res: ServerResponse,
  attention: AttentionService,
  agent: HookAgent,
  principal: Principal,
) {
  if (req.method !== 'POST') return reply(res, 405, { error: `POST a ${agent.name} hook payload here.` });
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return reply(res, 400, { error: 'The body is not JSON.' });
  }
  const problem = inputProblem(body);
  if (problem) return reply(res, 400, { error: inputProblemMessage(problem) });
  // Everything is checked before anything is recorded: a rejected batch changes nothing.
  const parsed = agentHookSchema.array().max(1000).safeParse(Array.isArray(body) ? body : [body]);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    return reply(res, 400, { error: `Not a ${agent.name} hook payload.`, issues });
  }
  const from = origin(req);
  const actor = { person: principal.person, admin: principal.scope === 'admin' };
  try {
    // All or nothing: one event refused (another person's session), none of the batch is stored.
    await attention.reportTogether(parsed.data.map((hook) => reportOf(hook, from, agent)).filter((report) => report.steps.length), actor);
  } catch (error) {
    if (error instanceof NotYoursError) return reply(res, 403, { error: error.message });
    throw error;
  }
  // Claude Code reads a JSON body answering an http hook as the hook's decision: an empty 2xx is
  // "recorded, carry on", and nothing more.
  res.writeHead(204).end();
}

const decisionRequest = z.object({ requestId: z.string().min(3).max(500), received: z.literal(true).optional() });

/**
 * POST /hooks/claude-code/decision: the PermissionRequest hook, once its event is recorded, waits
 * here for an answer from Lookout. 200 with Claude Code's decision JSON, or 204 when there is none
 * (answered in the terminal, the wait timed out, Lookout stopping). The hook going away gives up
 * the wait: an answer after that is refused, never lost silently. The hook then posts
 * `{ requestId, received: true }` once it has handed the decision to the agent (204): only then is
 * the answer reported as given.
 */
export async function answerDecisionWait(req: IncomingMessage, res: ServerResponse, attention: AttentionService, principal: Principal) {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST { requestId } here.' });
  let parsed;
  try {
    parsed = decisionRequest.safeParse(JSON.parse(await readBody(req)));
  } catch {
    return reply(res, 400, { error: 'The body is not JSON.' });
  }
  if (!parsed.success) return reply(res, 400, { error: 'Send { requestId }: the id of a permission request.' });
  const actor = { person: principal.person, admin: principal.scope === 'admin' };
  if (parsed.data.received) {
    try {
      await attention.acknowledgeAnswer(parsed.data.requestId, actor);
    } catch (error) {
      if (error instanceof SessionNotFoundError) return reply(res, 404, { error: error.message });
      throw error;
    }
    return res.writeHead(204).end();
  }
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const answered = await attention.awaitDecision(parsed.data.requestId, gone.signal, actor);
  if (res.destroyed) return;
  if (!answered) return res.writeHead(204).end();
  reply(res, 200, permissionDecisionOutput(answered));
}
