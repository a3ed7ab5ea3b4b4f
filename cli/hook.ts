// `lookout hook claude-code`: runs inside the agent, so it must never slow or break it. It reads
// the payload, adds the time, host and git state, sends everything still spooled plus this event
// in one request with a short timeout, keeps what could not be delivered, and always exits 0.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { gitState } from './git.ts';
import { CLAUDE_CODE_DECISION_PATH, CLAUDE_CODE_HOOK_PATH, CODEX_HOOK_PATH, NEEDS_REPOSITORY, NEEDS_STATUS } from '../shared/hook-wire.ts';
import { agentProcess } from './agent-process.ts';
import type { Spool } from './spool.ts';

const STDIN_LIMIT = 1024 * 1024;
const STDIN_TIMEOUT_MS = 2_000;
const SEND_TIMEOUT_MS = 1_000;
/** Files changed this long before a session's SessionStart hook ran count as the session's own. */
const FOUND_MARGIN_MS = 1_000;
/**
 * Spooled events sent along with one hook call, few enough for the server to take them within the
 * timeout; the rest go with the next calls, or `lookout flush`, which sends bigger batches and waits longer.
 */
const HOOK_BATCH = 20;
export const FLUSH_BATCH = 200;
/** A permission prompt's hook waits this long at most for an answer from Lookout (its install timeout is 600 s). */
const DECISION_TIMEOUT_MS = 590_000;
export const FLUSH_TIMEOUT_MS = 30_000;

export interface Server {
  url: string;
  token?: string;
}

export type HookAgentName = 'claude-code' | 'codex';

/** Where each agent's hook events go. */
export const HOOK_PATHS: Record<HookAgentName, string> = { 'claude-code': CLAUDE_CODE_HOOK_PATH, codex: CODEX_HOOK_PATH };

export interface HookOptions {
  agent: HookAgentName;
  /**
   * When the agent fired the hook: the hook process's start. Node's own start-up (longer on a loaded
   * machine) comes after it, and a background hook's can outlast the agent's next hooks: stamped any
   * later, a late SessionStart or UserPromptSubmit would look newer than the prompt after it, and close it.
   */
  firedAt: Date;
  /** The user opted in (`--answer-from-feed`) to answering from Lookout what holds back the agent's own dialog meanwhile. */
  answerFromFeed: boolean;
}

/**
 * Whether an event's hook waits for an answer from Lookout. Claude Code shows its permission dialog
 * while its PermissionRequest hook runs: whichever answers first wins, so it always waits. Codex
 * shows its prompt, and Claude Code an MCP server's form (Elicitation), only once the hook has
 * returned: those wait only when the user opted in, for the terminal is locked meanwhile.
 */
export function waitsForAnswer(options: HookOptions, event: string): boolean {
  if (event === 'PermissionRequest') return options.agent === 'claude-code' || options.answerFromFeed;
  return event === 'Elicitation' && options.agent === 'claude-code' && options.answerFromFeed;
}

export function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('no payload on stdin')), STDIN_TIMEOUT_MS);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > STDIN_LIMIT) reject(new Error('payload larger than 1 MB'));
    });
    process.stdin.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    process.stdin.on('error', reject);
  });
}

/**
 * One POST with a hard timeout. node:http rather than fetch, and no validation library: a hook runs
 * on every agent step, and loading those would cost more than the request itself.
 */
function post(url: URL, token: string | undefined, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.end(body);
  });
}

/** What the server made of a post: took it; refused it for good (it would refuse it again); or it should be kept and sent later. */
type Answer = 'taken' | 'refused' | 'kept';

/** Unreachable, a server error, a bad token (fixed, the events go), a timeout, too many requests: worth sending again later. */
const SENT_AGAIN = new Set([401, 408, 429]);

/** What a batch of hook events came to: how many from the front are done with, and which of those the server refused (dropped). */
export interface Sent {
  done: number;
  refused: Set<number>;
}

/**
 * Posts hook events to the server, oldest first. The server takes a batch whole or not at all; a
 * batch it refuses is sent again one event at a time, so that one event it will never take (another
 * person's session, say) is dropped, with a line in hook.log, and never holds back the others.
 */
export async function sendEvents(
  server: Server,
  events: unknown[],
  log: (line: string) => Promise<void>,
  timeoutMs = SEND_TIMEOUT_MS,
  path = CLAUDE_CODE_HOOK_PATH,
): Promise<Sent> {
  const send = async (batch: unknown[]): Promise<Answer> => {
    try {
      const res = await post(new URL(path, server.url), server.token, JSON.stringify(batch), timeoutMs);
      if (res.status >= 200 && res.status < 300) return 'taken';
      const refused = res.status >= 400 && res.status < 500 && !SENT_AGAIN.has(res.status);
      await log(`server answered ${res.status}${refused && batch.length === 1 ? ', dropped the event' : ''}: ${res.text.slice(0, 500)}`);
      return refused ? 'refused' : 'kept';
    } catch (error) {
      await log(`could not reach ${server.url}: ${(error as Error).message}`);
      return 'kept';
    }
  };
  const whole = await send(events);
  if (whole === 'taken') return { done: events.length, refused: new Set() };
  if (whole === 'kept') return { done: 0, refused: new Set() };
  if (events.length === 1) return { done: 1, refused: new Set([0]) };
  const refused = new Set<number>();
  for (const [index, event] of events.entries()) {
    const answer = await send([event]);
    if (answer === 'kept') return { done: index, refused };
    if (answer === 'refused') refused.add(index);
  }
  return { done: events.length, refused };
}

/** One hook call: `read` gives the payload (stdin for hooks; Codex's notify passes it as an argument). */
export async function runHook(server: Server, spool: Spool, options: HookOptions, read: () => Promise<string> = readStdin): Promise<void> {
  const at = options.firedAt; // whenever it is delivered
  const log = (line: string) => spool.log(line).catch(() => {});
  let payload: unknown;
  try {
    payload = JSON.parse(await read());
  } catch (error) {
    return log(`ignored a hook call: ${(error as Error).message}`);
  }
  // The server checks the payload in full; this only keeps what can never be recorded out of the spool.
  const hook = payload as { session_id?: unknown; hook_event_name?: unknown; cwd?: unknown; tool_name?: unknown };
  const sessionId = typeof hook?.session_id === 'string' ? hook.session_id.trim() : '';
  if (!sessionId || sessionId.length > 200 || typeof hook.hook_event_name !== 'string') {
    return log('ignored a payload that is not a Claude Code hook (no session_id or hook_event_name)');
  }
  const cwd = typeof hook.cwd === 'string' ? hook.cwd : undefined;
  const [git, agent] = await Promise.all([
    // As a session starts, what it finds: what changed before it began. The hook runs in the
    // background and may start after the agent's first tool: a second's margin keeps that its own.
    cwd && NEEDS_REPOSITORY.has(hook.hook_event_name)
      ? gitState(cwd, NEEDS_STATUS.has(hook.hook_event_name), hook.hook_event_name === 'SessionStart' ? new Date(at.getTime() - FOUND_MARGIN_MS) : undefined)
      : undefined,
    agentProcess(options.agent),
  ]);
  const event = {
    ...(payload as object),
    lookout: {
      at: at.toISOString(),
      eventId: randomUUID(),
      host: hostname(),
      project: git?.project,
      branch: git?.branch,
      ...(git && NEEDS_STATUS.has(hook.hook_event_name) ? { uncommittedFiles: git.uncommittedFiles, worktreeState: git.worktreeState } : {}),
      pid: agent.pid,
      headless: agent.headless,
      waitsForAnswer: waitsForAnswer(options, hook.hook_event_name),
    },
  };
  const spooled = await spool.claim();
  const older = spooled.events.slice(0, HOOK_BATCH);
  const sent = await sendEvents(server, [...older, event], log, SEND_TIMEOUT_MS, HOOK_PATHS[options.agent]);
  await spooled.settle(Math.min(sent.done, older.length));
  // Kept for later: by then nobody waits for an answer to its prompt, so it must not offer one.
  if (sent.done <= older.length) return spool.add([{ ...event, lookout: { ...event.lookout, waitsForAnswer: false } }]);
  if (sent.refused.has(older.length)) return;
  if (event.lookout.waitsForAnswer) await printAnswer(server, `${sessionId}:${event.lookout.eventId}`, hook.hook_event_name, log);
}

/**
 * Prints the agent's answer JSON for this event (a PermissionRequest's decision, an Elicitation's
 * action), exactly, when Lookout answers, then tells Lookout it was received (only then is the
 * answer reported as given); prints nothing otherwise.
 */
async function printAnswer(server: Server, requestId: string, eventName: string, log: (line: string) => Promise<void>): Promise<void> {
  const url = new URL(CLAUDE_CODE_DECISION_PATH, server.url);
  const res = await post(url, server.token, JSON.stringify({ requestId }), DECISION_TIMEOUT_MS).catch((error: Error) => {
    void log(`stopped waiting for an answer: ${error.message}`);
    return null;
  });
  if (res?.status !== 200) return;
  try {
    const decision = JSON.parse(res.text) as { hookSpecificOutput?: { hookEventName?: string } };
    if (decision.hookSpecificOutput?.hookEventName !== eventName) throw new Error(`not an answer to ${eventName}`);
  } catch (error) {
    return log(`ignored an answer that is not a decision: ${(error as Error).message}`);
  }
  await new Promise<void>((resolve) => process.stdout.write(res.text, () => resolve()));
  const received = await post(url, server.token, JSON.stringify({ requestId, received: true }), SEND_TIMEOUT_MS).catch((error: Error) => error);
  if (received instanceof Error || received.status !== 204) {
    await log(`could not tell Lookout the answer arrived: ${received instanceof Error ? received.message : `HTTP ${received.status}`}`);
  }
}
