// The installed command hook (`lookout hook claude-code`) run for one event as Claude Code runs it:
// a real process that, for a PermissionRequest, blocks until Lookout answers and prints exactly
// Claude Code's decision JSON (or nothing).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, makeRepo } from './cli-helpers.ts';
import { collect, subscribersListening, type TestServer } from './helpers.ts';

export interface WaitingHook {
  /** The prompt's request id, as Lookout shows it. */
  requestId: string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  child: ChildProcess;
}

const PENDING_IDS = `query($id: ID!) { session(id: $id) { pendingPermissions { id } } }`;
/** Every person's changes (the test asks as the owner, an admin): the hook may report as someone else. */
const TEAM_FEED = `subscription($after: Int) { attentionChanged(after: $after, scope: TEAM) { __typename } }`;

/** Runs the hook for `hook` (a PermissionRequest's fields) in a new git repository, and resolves once its prompt is recorded. */
export async function runWaitingHook(server: TestServer, sessionId: string, hook: Record<string, unknown>, env: Record<string, string> = {}, args: string[] = []): Promise<WaitingHook> {
  const repo = await makeRepo(`repo-${sessionId}`);
  const child = spawn(process.execPath, [CLI, 'hook', 'claude-code', ...args], {
    env: {
      ...process.env,
      LOOKOUT_URL: server.url.replace(/\/graphql$/, ''),
      ...(server.token ? { LOOKOUT_TOKEN: server.token } : {}),
      LOOKOUT_HOME: await mkdtemp(path.join(tmpdir(), 'lookout-home-')),
      CLAUDE_CODE_ENTRYPOINT: 'cli',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const feed = collect(server.wsClient(), TEAM_FEED, { after: server.attention.latestSeq });
  await subscribersListening(server, 1);
  child.stdin.end(JSON.stringify({ session_id: sessionId, cwd: repo, hook_event_name: 'PermissionRequest', permission_mode: 'default', ...hook }));
  await feed.next(1, 10_000);
  feed.unsubscribe();
  const { data } = await server.gql(PENDING_IDS, { id: sessionId });
  return { done, child, requestId: data.session.pendingPermissions.at(-1)?.id };
}

/** Claude Code's decision JSON, as the hook prints it. */
export const decision = (body: Record<string, unknown>) => JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: body } });
