// Realistic Claude Code sessions replayed through both entry points (the CLI's command hook and
// Claude Code's http hook) against the real server, checking the feed after every step.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { git, makeDirty, makeRepo, runCli, type StandInAgent, standInAgent } from './cli-helpers.ts';
import { type Scenario, scenarios, type Shown } from './fixtures/claude-code-sessions.ts';
import { startServer, type TestServer } from './helpers.ts';

/** A test's server, and the stand-in agent its command hooks run under (made at the first). */
interface HookBench {
  server: TestServer;
  agent?: StandInAgent;
}

// A permission prompt's CLI hook waits for an answer from Lookout; here nobody answers, so it gives up
// after 50 ms (the terminal's dialog, which these replays stand for, goes on as ever).
async function bench(env: Record<string, string>, onFinished: (stop: () => Promise<void>) => void): Promise<HookBench> {
  const made: HookBench = { server: await startServer({ LOOKOUT_DECISION_TIMEOUT_SECONDS: '0.05', ...env }) };
  onFinished(async () => {
    made.agent?.stop();
    await made.server.stop();
  });
  return made;
}

// The tests that run one at a time share these.
let server: TestServer;
let b: HookBench;
async function start(env: Record<string, string> = {}): Promise<TestServer> {
  b = await bench(env, onTestFinished);
  return b.server;
}

const FEED = `{ attentionSessions { edges { node { id project branch host title attention { reason label detail } } } } }`;

type Attention = { reason: string; label: string; detail: string | null };

async function feedAttention({ server }: HookBench, ids: string[]): Promise<Record<string, Attention | null>> {
  const { data } = await server.gql(FEED);
  const byId = new Map<string, { attention: Attention }>(data.attentionSessions.edges.map((e: any) => [e.node.id, e.node]));
  return Object.fromEntries(ids.map((id) => [id, byId.get(id)?.attention ?? null]));
}

async function feedReasons(at: HookBench, ids: string[]): Promise<Record<string, string | null>> {
  const feed = await feedAttention(at, ids);
  return Object.fromEntries(ids.map((id) => [id, feed[id]?.reason ?? null]));
}

/** The feed as the step expects to see it: the reason alone, or reason, label and detail. */
function asExpected(feed: Record<string, Attention | null>, expected: Record<string, Shown>) {
  return Object.fromEntries(
    Object.entries(expected).map(([id, shown]) => {
      const attention = feed[id] ?? null;
      if (!Array.isArray(shown) || !attention) return [id, attention?.reason ?? null];
      return [id, [attention.reason, attention.label, attention.detail]];
    }),
  );
}

/** A proxy to Lookout that holds the first request it gets until `release`; `arrived` settles when it comes. */
async function holdingProxy(target: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    arrive();
    await released;
    const answer = await fetch(new URL(req.url!, target), { method: req.method, headers: req.headers as Record<string, string>, body: body.length ? body : undefined });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, arrived, release, close: () => proxy.close() };
}

/** One session's command hooks, run by hand (`runCli`): a home of their own, a real repository, the server's URL. */
async function byHand(server: TestServer, sessionId: string, repoName: string) {
  const repo = await makeRepo(repoName);
  const env = { LOOKOUT_URL: server.url.replace(/\/graphql$/, ''), LOOKOUT_HOME: await mkdtemp(path.join(tmpdir(), 'lookout-home-')) };
  const payload = (hook: Record<string, unknown>) => JSON.stringify({ session_id: sessionId, cwd: repo, ...hook });
  return { repo, env, payload };
}

type Deliver = (payload: Record<string, unknown>) => Promise<void>;

// Claude Code tells its hooks how it was started; `sdk-cli` is `claude -p`.
const entrypoint = (headless = false) => (headless ? 'sdk-cli' : 'cli');

// The command hook runs as Claude Code runs it: through `sh -c`, under a long-lived agent process.
const viaCli = (at: HookBench, home: string, headless?: boolean): Deliver => async (payload) => {
  const env = { LOOKOUT_URL: at.server.url.replace(/\/graphql$/, ''), LOOKOUT_HOME: home, CLAUDE_CODE_ENTRYPOINT: entrypoint(headless) };
  at.agent ??= await standInAgent();
  const run = await at.agent.hook(['hook', 'claude-code'], env, JSON.stringify(payload));
  expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
};

const viaHttp = ({ server }: HookBench, headless?: boolean): Deliver => async (payload) => {
  const res = await fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-lookout-entrypoint': entrypoint(headless) },
    body: JSON.stringify(payload),
  });
  expect(res.status).toBe(204);
};

async function replay(at: HookBench, { steps }: Scenario, deliver: Deliver, http: boolean) {
  const repos = new Map<string, string>();
  const ids = [...new Set(steps.map((s) => s.session))];
  for (const id of ids) repos.set(id, await makeRepo(`repo-${id}`));
  for (const [index, step] of steps.entries()) {
    const repo = repos.get(step.repoOf ?? step.session)!;
    if (step.dirty) await makeDirty(repo, step.dirty, step.dirtyAgoMs);
    await deliver({
      session_id: step.session,
      transcript_path: `/home/dev/.claude/projects/x/${step.session}.jsonl`,
      cwd: repo,
      permission_mode: 'default',
      ...step.hook,
    });
    // A step after which time alone may change the feed: checked once a session that began working
    // just after it, and was heard of no more, has gone stale (the stale time has passed for it too).
    if (step.afterAWhile) {
      await viaHttp(at)({ session_id: 'clock', cwd: repo, hook_event_name: 'UserPromptSubmit', prompt: 'Work on' });
      await expect.poll(async () => (await feedReasons(at, ['clock'])).clock).toBe('STALE');
    }
    const expected = { ...Object.fromEntries(ids.map((id) => [id, null])), ...((http && step.expectHttp) || step.expect) };
    expect(asExpected(await feedAttention(at, ids), expected), `after step ${index + 1} (${step.hook.hook_event_name})`).toEqual(expected);
  }
}

// Stale after 15 s: longer than any replay takes between two of a session's events on a loaded machine,
// short enough that a session whose end never arrives shows within the test.
const SHORT_STALE = { LOOKOUT_STALE_MINUTES: '0.25' };

// Each replay has its own server and agent: they run several at once (their time is mostly spent
// waiting for hook processes).
describe.each([
  ['the CLI command hook', false],
  ['the http hook', true],
])('through %s', (_path, http) => {
  it.concurrent.for(scenarios.map((s) => [s.name, s] as const))('%s', { timeout: 60_000 }, async ([, scenario], { onTestFinished }) => {
    const at = await bench(SHORT_STALE, onTestFinished);
    const deliver = http ? viaHttp(at, scenario.headless) : viaCli(at, await mkdtemp(path.join(tmpdir(), 'lookout-home-')), scenario.headless);
    await replay(at, scenario, deliver, http);
  });
});

describe('what the hooks record', () => {
  it('names the session from the first prompt and the repository, with branch, host and the command awaiting permission', async () => {
    server = await start();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const repo = await makeRepo('billing');
    const deliver = viaCli(b, home);
    const base = { session_id: 'n1', cwd: repo };
    await deliver({ ...base, hook_event_name: 'SessionStart', source: 'startup' });
    await deliver({ ...base, hook_event_name: 'UserPromptSubmit', prompt: '  Fix   the rounding\nin invoices  ' });
    await deliver({ ...base, hook_event_name: 'UserPromptSubmit', prompt: 'A later prompt does not rename it' });
    await deliver({ ...base, hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm publish --access public' } });
    const { data } = await server.gql(FEED);
    expect(data.attentionSessions.edges[0].node).toMatchObject({
      id: 'n1',
      title: 'Fix the rounding in invoices',
      project: 'billing',
      branch: 'main',
      host: expect.any(String),
      attention: { reason: 'WAITING', label: 'Waiting for permission', detail: 'Bash: npm publish --access public' },
    });
  });

  it('reports unknown, not clean, for a folder that is not a repository; and a worktree belongs to its repository', async () => {
    server = await start();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const deliver = viaCli(b, home);
    const plain = await mkdtemp(path.join(tmpdir(), 'not-a-repo-'));
    await deliver({ session_id: 'plain', cwd: plain, hook_event_name: 'Stop' });
    const repo = await makeRepo('webapp');
    const worktree = path.join(path.dirname(repo), 'webapp-feature');
    await git(repo, 'worktree', 'add', '-q', '-b', 'feature', worktree);
    await deliver({ session_id: 'wt', cwd: worktree, hook_event_name: 'Stop' });
    const query = `query($id: ID!) { session(id: $id) { project branch uncommittedFiles } }`;
    expect((await server.gql(query, { id: 'plain' })).data.session).toEqual({ project: path.basename(plain), branch: null, uncommittedFiles: null });
    expect((await server.gql(query, { id: 'wt' })).data.session).toEqual({ project: 'webapp', branch: 'feature', uncommittedFiles: 0 });
  });

  it('keeps the state right when hooks of one session arrive out of order', async () => {
    server = await start();
    const { repo, env, payload } = await byHand(server, 'o', 'ooo');
    await runCli(['hook', 'claude-code'], env, payload({ hook_event_name: 'UserPromptSubmit', prompt: 'Go' }));
    // The PreToolUse hook fires first but is slow to send (its request is held on the way until the
    // Stop hook, fired after it, has arrived).
    const held = await holdingProxy(env.LOOKOUT_URL);
    const slow = runCli(['hook', 'claude-code'], { ...env, LOOKOUT_URL: held.url }, payload({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } }));
    await held.arrived;
    await runCli(['hook', 'claude-code'], env, payload({ hook_event_name: 'Stop' }));
    expect(await feedReasons(b, ['o'])).toEqual({ o: 'AWAITING_REPLY' });
    held.release();
    await slow;
    held.close();
    expect(await feedReasons(b, ['o'])).toEqual({ o: 'AWAITING_REPLY' });

    // The http form carries the same times in the `lookout` context.
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    await viaHttp(b)({ session_id: 'h', cwd: repo, hook_event_name: 'Stop', lookout: { at: at(2) } });
    await viaHttp(b)({ session_id: 'h', cwd: repo, hook_event_name: 'PreToolUse', tool_name: 'Bash', lookout: { at: at(1) } });
    expect(await feedReasons(b, ['h'])).toEqual({ h: 'AWAITING_REPLY' });
  });

  it("a background hook whose process starts late (a loaded machine) counts from when the agent fired it: it never closes the prompt fired after it", async () => {
    server = await start();
    const { env, payload } = await byHand(server, 'late', 'late');
    // Node's own start-up held until released, as a loaded machine holds it: Claude Code fires the
    // prompt's UserPromptSubmit hook in the background and goes on to its first tool meanwhile.
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-slow-start-'));
    const started = path.join(dir, 'started');
    const release = path.join(dir, 'release');
    const slowStart = path.join(dir, 'slow-start.cjs');
    // Released whatever happens, so that no hook process is left waiting after the test.
    onTestFinished(() => writeFile(release, ''));
    await writeFile(
      slowStart,
      `const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify(started)}, '');
const pause = new Int32Array(new SharedArrayBuffer(4));
while (!fs.existsSync(${JSON.stringify(release)})) Atomics.wait(pause, 0, 0, 10);`,
    );
    const late = runCli(['hook', 'claude-code'], { ...env, NODE_OPTIONS: `--require ${slowStart}` }, payload({ hook_event_name: 'UserPromptSubmit', prompt: 'Publish the package' }));
    await expect.poll(() => existsSync(started)).toBe(true);
    await runCli(['hook', 'claude-code'], env, payload({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm publish' } }));
    expect(await feedReasons(b, ['late'])).toEqual({ late: 'WAITING' });
    await writeFile(release, '');
    expect(await late).toMatchObject({ code: 0, stderr: '' });
    // It arrived (it named the session), and the prompt fired after it still waits.
    const { data } = await server.gql(`{ session(id: "late") { title attention { reason detail } } }`);
    expect(data.session).toEqual({ title: 'Publish the package', attention: { reason: 'WAITING', detail: 'Bash: npm publish' } });
  });

  it('the http hook rejects what is not a hook payload and changes nothing; it needs the token when one is set', async () => {
    server = await start({ LOOKOUT_TOKEN: 'hook-token' });
    const url = server.url.replace(/\/graphql$/, '/hooks/claude-code');
    const post = (body: string, token?: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
    expect((await post(JSON.stringify({ session_id: 'x', hook_event_name: 'Stop' }))).status).toBe(401);
    expect((await post('{not json', 'hook-token')).status).toBe(400);
    const invalid = await post(JSON.stringify([{ session_id: 'ok', hook_event_name: 'Stop' }, { hook_event_name: 'Stop' }]), 'hook-token');
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toMatch(/session_id/);
    expect((await server.gql(`{ sessions { edges { node { id } } } }`)).data.sessions.edges).toEqual([]);
    const ok = await post(JSON.stringify({ session_id: 'x', hook_event_name: 'Stop', cwd: '/tmp/x' }), 'hook-token');
    // What Claude Code reads as "done, no decision": a 2xx with an empty body.
    expect([ok.status, await ok.text()]).toEqual([204, '']);
    expect((await server.gql(`{ session(id: "x") { lastSpeaker state } }`)).data.session).toEqual({ lastSpeaker: 'ASSISTANT', state: 'IDLE' });
  });

  it("takes a batch whole or not at all: one event on another person's session, and none is stored", async () => {
    server = await start({ LOOKOUT_TOKEN: 'admin-token' });
    const token = async (person: string) =>
      (await server.gql(`mutation { createToken(name: "${person}", scope: REPORT, person: "${person}") { ... on MutationCreateTokenSuccess { data { token } } } }`)).data.createToken.data.token;
    const post = (body: unknown, token: string) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    expect((await post({ session_id: 'taken', hook_event_name: 'SessionStart', cwd: '/tmp/t' }, await token('bo'))).status).toBe(204);
    const ana = await token('ana');
    const refused = await post([{ session_id: 'mine', hook_event_name: 'UserPromptSubmit', prompt: 'Go', cwd: '/tmp/m' }, { session_id: 'taken', hook_event_name: 'Stop', cwd: '/tmp/t' }], ana);
    expect(refused.status).toBe(403);
    expect((await server.gql('{ sessions(scope: TEAM) { edges { node { id } } } }')).data.sessions.edges).toEqual([{ node: { id: 'taken' } }]);
    expect((await post([{ session_id: 'mine', hook_event_name: 'UserPromptSubmit', prompt: 'Go', cwd: '/tmp/m' }], ana)).status).toBe(204);
  });

  it('refuses an event id that could make two sessions share a request id', async () => {
    server = await start();
    const post = (body: unknown) => fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const prompt = { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' }, cwd: '/tmp/x' };
    const res = await post({ session_id: 'a', ...prompt, lookout: { eventId: 'b:c' } });
    expect(res.status).toBe(400);
    expect((await res.json()).issues).toEqual([{ path: ['0', 'lookout', 'eventId'], message: expect.stringMatching(/letters, digits/) }]);
    expect((await post({ session_id: 'a:b', ...prompt, lookout: { eventId: 'c' } })).status).toBe(204);
    expect((await server.gql('{ sessions { edges { node { id } } } }')).data.sessions.edges).toEqual([{ node: { id: 'a:b' } }]);
  });

  it('a plan headed "Plan: …" is said once as a plan ("Plan: OAuth login", never "Plan: Plan: OAuth login")', async () => {
    server = await start();
    const post = (body: unknown) => fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const plan = { hook_event_name: 'PermissionRequest', tool_name: 'ExitPlanMode', tool_input: { plan: '# Plan: OAuth login\n1. Add the provider' }, cwd: '/tmp/x' };
    expect((await post({ session_id: 'planned', ...plan })).status).toBe(204);
    expect((await server.gql('{ session(id: "planned") { attention { detail } } }')).data.session.attention.detail).toBe('Plan: OAuth login');
  });

  it('the http hook refuses a time GraphQL\'s DateTime would refuse, and changes nothing', async () => {
    server = await start();
    const post = (at: unknown) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 'd', hook_event_name: 'Stop', cwd: '/tmp/d', lookout: { at } }),
      });
    for (const at of [-8.64e15, 0, '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', 'yesterday', '2026-13-01T00:00:00Z']) {
      const res = await post(at);
      expect(res.status, String(at)).toBe(400);
      expect((await res.json()).issues, String(at)).toEqual([{ path: ['0', 'lookout', 'at'], message: expect.any(String) }]);
    }
    expect((await server.gql('{ sessions { edges { node { id } } } }')).data.sessions.edges).toEqual([]);
    const at = '2026-11-27T08:00:00.000Z';
    expect((await post(at)).status).toBe(204);
    expect((await server.gql('{ session(id: "d") { lastSpeakerAt } }')).data).toEqual({ session: { lastSpeakerAt: at } });
  });
});
