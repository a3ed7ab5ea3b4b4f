// Codex beside Claude Code: its hooks through `lookout hook codex`, its notify fallback, `install
// codex` on real files, and `lookout mcp` driven by the MCP SDK's own client over stdio.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CODEX_EVENTS } from '../cli/install.ts';
import { CLI, makeDirty, makeRepo, runCli } from './cli-helpers.ts';
import { collect, FEED_EVENT, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const origin = () => server.url.replace(/\/graphql$/, '');
const FEED = `{ attentionSessions { edges { node { id agent attention { reason label detail } pendingPermission { id } } } } }`;

async function feed(): Promise<Record<string, { agent: string; attention: { reason: string; label: string; detail: string | null }; pendingPermission: { id: string } | null }>> {
  const { data } = await server.gql(FEED);
  return Object.fromEntries(data.attentionSessions.edges.map((e: any) => [e.node.id, e.node]));
}

/** Codex's payload: the common fields (thread id, turn id, cwd, a transcript path that may be null, model). */
const codex = (session: string, cwd: string, hook: Record<string, unknown>) =>
  JSON.stringify({ session_id: session, turn_id: 'turn-1', cwd, transcript_path: null, model: 'gpt-5-codex', permission_mode: 'default', ...hook });

async function hookCodex(home: string, payload: string, extraArgs: string[] = []) {
  const run = await runCli(['hook', 'codex', ...extraArgs], { LOOKOUT_URL: origin(), LOOKOUT_HOME: home }, payload);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return run;
}

describe('Codex sessions through lookout hook codex', () => {
  it('a turn, a reported approval, a subagent, an interrupt, a failure: each as the feed should show it, marked codex', async () => {
    server = await startServer();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const repo = await makeRepo('codex-app');
    const hook = (event: Record<string, unknown>, session = 'cx1') => hookCodex(home, codex(session, repo, event));

    await hook({ hook_event_name: 'SessionStart', source: 'startup' });
    await hook({ hook_event_name: 'UserPromptSubmit', prompt: 'Add a health check' });
    await hook({ hook_event_name: 'PreToolUse', tool_name: 'apply_patch', tool_input: '*** Begin Patch\n*** Add File: health.ts\n*** End Patch' });
    await hook({ hook_event_name: 'PostToolUse', tool_name: 'apply_patch', tool_input: '*** Begin Patch', tool_response: 'Success' });
    expect((await feed()).cx1).toBeUndefined();

    // An approval: reported at once, with the command; the hook prints nothing, so Codex asks in its terminal.
    const approval = await hook({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm install express', description: 'Install' } });
    expect(approval.stdout).toBe('');
    expect((await feed()).cx1).toMatchObject({ agent: 'codex', attention: { reason: 'WAITING', detail: 'Bash: npm install express' }, pendingPermission: null });
    // A subagent's tool call does not hide it; the approved command's own result does.
    await hook({ hook_event_name: 'SubagentStart', agent_id: 'sub-1', agent_type: 'explorer' });
    await hook({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, agent_id: 'sub-1', agent_type: 'explorer' });
    expect((await feed()).cx1!.attention.reason).toBe('WAITING');
    await hook({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'npm install express' } });
    expect((await feed()).cx1).toBeUndefined();

    await hook({ hook_event_name: 'Stop', last_assistant_message: 'Added GET /health.' });
    expect((await feed()).cx1).toMatchObject({ agent: 'codex', attention: { reason: 'AWAITING_REPLY', detail: 'Added GET /health.' } });

    // Another turn, interrupted at its approval (Esc): the wait ends.
    await hook({ hook_event_name: 'UserPromptSubmit', prompt: 'Deploy it' });
    await hook({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: './deploy.sh' } });
    await hook({ hook_event_name: 'Interrupt' });
    expect((await feed()).cx1).toBeUndefined();

    await hook({ hook_event_name: 'UserPromptSubmit', prompt: 'Try again' });
    await hook({ hook_event_name: 'StopFailure', error: 'stream disconnected before completion' });
    expect((await feed()).cx1).toMatchObject({ attention: { reason: 'FAILED', detail: 'stream disconnected before completion' } });
  });

  it('with --answer-from-feed the approval waits for an answer from Lookout, and prints Codex\'s decision JSON', async () => {
    server = await startServer();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const repo = await makeRepo('codex-opted');
    const changes = collect(server.wsClient(), FEED_EVENT, { after: server.attention.latestSeq });
    await subscribersListening(server, 1);
    const waiting = hookCodex(home, codex('cx2', repo, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'rm -rf build' } }), ['--answer-from-feed']);
    await changes.next(1, 10_000);
    const { id } = (await feed()).cx2!.pendingPermission!;
    const answered = await server.gql(`mutation($input: AnswerPermissionInput!) { answerPermission(input: $input) { __typename } }`, {
      input: { requestId: id, decision: 'DENY', message: 'Keep the build' },
    });
    expect(answered.data.answerPermission.__typename).toBe('MutationAnswerPermissionSuccess');
    expect((await waiting).stdout).toBe(JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'Keep the build' } } }));
  });

  it('codex exec runs headless: its Stop ends the session, with what it left', async () => {
    server = await startServer();
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-codex-'));
    const repo = await makeRepo('codex-exec');
    await makeDirty(repo, 1);
    // A stand-in for `codex exec ...`: runs the installed command hook through a shell, as Codex does.
    const agent = path.join(dir, 'codex.mjs');
    await writeFile(
      agent,
      `import { spawnSync } from 'node:child_process';
for (const payload of JSON.parse(process.env.PLAN)) spawnSync('/bin/sh', ['-c', process.env.HOOK], { input: payload });`,
    );
    const plan = [codex('ex1', repo, { hook_event_name: 'UserPromptSubmit', prompt: 'Bump the version' }), codex('ex1', repo, { hook_event_name: 'Stop', last_assistant_message: 'Bumped.' })];
    await new Promise((resolve) =>
      spawn(process.execPath, [agent, 'exec', 'Bump the version'], {
        env: { ...process.env, PLAN: JSON.stringify(plan), HOOK: `"${process.execPath}" "${CLI}" hook codex`, LOOKOUT_URL: origin(), LOOKOUT_HOME: dir },
        stdio: 'ignore',
      }).on('exit', resolve),
    );
    const { data } = await server.gql(`{ session(id: "ex1") { agent state closedBy attention { reason } } }`);
    expect(data.session).toEqual({ agent: 'codex', state: 'ENDED', closedBy: 'AUTO', attention: { reason: 'UNCOMMITTED_WORK' } });
  });

  it('the notify fallback: a turn that ends is heard from Codex\'s notify program', async () => {
    server = await startServer();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const repo = await makeRepo('codex-notify');
    const note = { type: 'agent-turn-complete', 'thread-id': 'th-9', 'turn-id': '3', cwd: repo, 'input-messages': ['Fix it'], 'last-assistant-message': 'Fixed the flaky test.' };
    expect(await runCli(['notify', 'codex', JSON.stringify(note)], { LOOKOUT_URL: origin(), LOOKOUT_HOME: home })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await feed())['th-9']).toMatchObject({ agent: 'codex', attention: { reason: 'AWAITING_REPLY', detail: 'Fixed the flaky test.' } });
    // Anything else it is told is not a turn ending, and changes nothing.
    await runCli(['notify', 'codex', JSON.stringify({ type: 'something-else', 'thread-id': 'th-10' })], { LOOKOUT_URL: origin(), LOOKOUT_HOME: home });
    expect((await feed())['th-10']).toBeUndefined();
  });
});

describe('lookout install / uninstall codex', () => {
  /** Runs the CLI with HOME in a temp folder and a `codex` on PATH that reports `version`. */
  async function codexRun(args: string[], home: string, version: string | null, cwd: string) {
    const bin = path.join(home, 'bin');
    await mkdir(bin, { recursive: true });
    if (version) {
      await writeFile(path.join(bin, 'codex'), `#!/bin/sh\necho "codex-cli ${version}"\n`);
      await chmod(path.join(bin, 'codex'), 0o755);
    }
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, HOME: home, PATH: `${bin}:/usr/bin:/bin`, LOOKOUT_URL: '', LOOKOUT_TOKEN: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("adds its hooks beside the project's own in .codex/hooks.json, says to trust them, changes nothing twice, and uninstall restores the file", async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-codex-home-'));
    const project = await mkdtemp(path.join(tmpdir(), 'lookout-codex-project-'));
    const file = path.join(project, '.codex', 'hooks.json');
    await mkdir(path.dirname(file));
    const original = `${JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'say done' }] }] } }, null, 2)}\n`;
    await writeFile(file, original);

    const first = await codexRun(['install', 'codex'], home, '0.150.0', project);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Wired Codex's hooks in ${file} report to http://127.0.0.1:4000.`);
    expect(first.stdout).toMatch(/trust Lookout's/);
    const installed = JSON.parse(await readFile(file, 'utf8'));
    expect(Object.keys(installed.hooks).sort()).toEqual([...CODEX_EVENTS].sort());
    expect(installed.hooks.Stop[0]).toEqual({ hooks: [{ type: 'command', command: 'say done' }] });
    expect(installed.hooks.Stop[1].hooks[0].command).toMatch(/lookout\.mjs hook codex --url http:\/\/127\.0\.0\.1:4000$/);
    // Tool calls never make Codex wait; without --answer-from-feed, neither does an approval.
    expect(installed.hooks.PreToolUse[0].hooks[0]).toMatchObject({ async: true });
    expect(installed.hooks.PermissionRequest[0].hooks[0]).toMatchObject({ timeout: 5 });
    expect(installed.hooks.PermissionRequest[0].hooks[0].async).toBeUndefined();
    // A Codex with hooks needs no notify.
    await expect(readFile(path.join(home, '.codex', 'config.toml'), 'utf8')).rejects.toThrow();

    expect((await codexRun(['install', 'codex'], home, '0.150.0', project)).stdout).toMatch(/already: nothing changed/);
    const opted = await codexRun(['install', 'codex', '--answer-from-feed'], home, '0.150.0', project);
    expect(opted.stdout).toMatch(/until you answer, the terminal cannot/);
    const optedHooks = JSON.parse(await readFile(file, 'utf8')).hooks;
    expect(optedHooks.PermissionRequest[0].hooks[0]).toMatchObject({ timeout: 600, command: expect.stringMatching(/--answer-from-feed$/) });

    expect((await codexRun(['uninstall', 'codex'], home, '0.150.0', project)).stdout).toMatch(/Removed Lookout's hooks/);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it("a Codex too old for hooks gets Lookout's notify in config.toml, ahead of every table; a notify of the user's own is left alone", async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-codex-home-'));
    const config = path.join(home, '.codex', 'config.toml');
    await mkdir(path.dirname(config), { recursive: true });
    await writeFile(config, 'model = "gpt-5-codex"\n\n[tui]\nnotifications = true\n');
    const old = await codexRun(['install', 'codex', '--user'], home, '0.110.0', home);
    expect(old.stdout).toMatch(/codex 0\.110 runs no hooks before 0\.124/);
    const text = await readFile(config, 'utf8');
    expect(text.indexOf('notify = [')).toBeLessThan(text.indexOf('[tui]'));
    expect(text).toMatch(/^notify = \[".*", ".*lookout\.mjs", "notify", "codex", "--url", "http:\/\/127\.0\.0\.1:4000"\]$/m);
    expect(text).toContain('[tui]\nnotifications = true\n');

    const removed = await codexRun(['uninstall', 'codex', '--user'], home, '0.110.0', home);
    expect(removed.stdout).toMatch(/Removed Lookout's notify/);
    expect(await readFile(config, 'utf8')).toBe('model = "gpt-5-codex"\n\n[tui]\nnotifications = true\n');

    await writeFile(config, 'notify = ["terminal-notifier", "-title", "Codex"]\n');
    const theirs = await codexRun(['install', 'codex', '--user', '--notify'], home, '0.150.0', home);
    expect(theirs.stdout).toMatch(/already has notify = \["terminal-notifier".*Lookout's is not added/);
    expect(await readFile(config, 'utf8')).toBe('notify = ["terminal-notifier", "-title", "Codex"]\n');
  });
});

describe('lookout mcp', () => {
  it('lists one read-only tool and the feed resource, reads the feed, and can change nothing', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'mcp-token' });
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const repo = await makeRepo('mcp-repo');
    await runCli(['hook', 'codex'], { LOOKOUT_URL: origin(), LOOKOUT_HOME: home, LOOKOUT_TOKEN: 'mcp-token' }, codex('m1', repo, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm publish' } }));

    const client = new Client({ name: 'lookout-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: { ...process.env, LOOKOUT_URL: origin(), LOOKOUT_TOKEN: 'mcp-token' } as Record<string, string> }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['list_attention']);
      expect(tools[0]!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toEqual(['lookout://feed']);

      const listed = await client.callTool({ name: 'list_attention', arguments: { tier: 'NEEDS_YOU' } });
      expect((listed.content as { text: string }[])[0]!.text).toMatch(/\[NEEDS_YOU\] Waiting for permission: .*\(codex, mcp-repo\) since .* — Bash: npm publish/);
      expect(listed.structuredContent).toMatchObject({ sessions: [{ session: 'm1', agent: 'codex', reason: 'WAITING', detail: 'Bash: npm publish' }] });
      const read = await client.readResource({ uri: 'lookout://feed' });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual([expect.objectContaining({ session: 'm1', reason: 'WAITING' })]);

      // Nothing here writes: no such tool, and the one tool takes no other arguments.
      await expect(client.callTool({ name: 'answerPermission', arguments: { requestId: 'x', decision: 'ALLOW_ONCE' } })).resolves.toMatchObject({ isError: true });
      expect((await feed()).m1!.attention.reason).toBe('WAITING');
    } finally {
      await client.close();
    }
  });
});
