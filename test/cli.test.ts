// The lookout CLI as users and hooks run it, against the real server (or none).
import { exec, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_EVENTS } from '../cli/install.ts';
import { CLI, freshHome, git, makeRepo, runCli } from './cli-helpers.ts';
import { collect, FEED_EVENT, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const home = () => mkdtemp(path.join(tmpdir(), 'lookout-home-'));
const origin = (s: TestServer) => s.url.replace(/\/graphql$/, '');
const hook = (sessionId: string, cwd: string, event: Record<string, unknown>) => JSON.stringify({ session_id: sessionId, cwd, ...event });

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** What install says it did, without the check of everything that follows it. */
const notesOf = (stdout: string) => `${stdout.split('\n\n')[0]}\n`;

/** What install says of the server every command then talks to. */
const talksTo = (url: string) => `lookout commands now talk to ${url} unless --url or LOOKOUT_URL says otherwise.\n`;

/** What install says to do next. */
const nextSteps = (url: string) => `Next: start Claude Code in a project and send a prompt; the session shows at ${url}/ (lookout ls lists it).\n`;

/** What install says of MCP servers' forms when not opted in to answering them from Lookout. */
const MCP_FORMS = "An MCP server's form is shown in Lookout and answered in the terminal (--answer-from-feed makes it wait for an answer from Lookout, locking the terminal meanwhile).\n";

describe('lookout hook, when the server is not there', () => {
  it('exits 0 at once with the server down, and within its timeout with a server that hangs', async () => {
    const dir = await home();
    const repo = await makeRepo('down');
    const down = await runCli(['hook', 'claude-code'], { LOOKOUT_URL: `http://127.0.0.1:${await freePort()}`, LOOKOUT_HOME: dir }, hook('s', repo, { hook_event_name: 'Stop' }));
    expect(down).toMatchObject({ code: 0, stdout: '', stderr: '' });

    const sockets: import('node:net').Socket[] = [];
    const hanging: Server = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    const hung = await runCli(['hook', 'claude-code'], { LOOKOUT_URL: `http://127.0.0.1:${port}`, LOOKOUT_HOME: dir }, hook('s', repo, { hook_event_name: 'PreToolUse' }));
    expect(hung).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(hung.ms).toBeLessThan(4_000); // its own timeout is 1 s; the rest is starting node on a busy machine
    for (const socket of sockets) socket.destroy();
    hanging.close();

    const log = await readFile(path.join(dir, 'hook.log'), 'utf8');
    expect(log).toMatch(/could not reach/);
    expect((await readFile(path.join(dir, 'spool.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('exits 0 on a payload that is not JSON, and says so only in its log', async () => {
    const dir = await home();
    const run = await runCli(['hook', 'claude-code', '--unknown-flag'], { LOOKOUT_HOME: dir }, '{ not json');
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await readFile(path.join(dir, 'hook.log'), 'utf8')).toMatch(/ignored a hook call/);
  });

  it('delivers what it spooled, in order and with the original times, once the server is back', async () => {
    const dir = await home();
    const repo = await makeRepo('spooled');
    const port = await freePort();
    const env = { LOOKOUT_URL: `http://127.0.0.1:${port}`, LOOKOUT_HOME: dir };
    // Four hooks while Lookout is down, two of them at once (hooks of two sessions).
    await runCli(['hook', 'claude-code'], env, hook('s1', repo, { hook_event_name: 'UserPromptSubmit', prompt: 'While you were out' }));
    await Promise.all([
      runCli(['hook', 'claude-code'], env, hook('s1', repo, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'make' } })),
      runCli(['hook', 'claude-code'], env, hook('s2', repo, { hook_event_name: 'UserPromptSubmit', prompt: 'Another one' })),
    ]);
    await runCli(['hook', 'claude-code'], env, hook('s2', repo, { hook_event_name: 'Stop' }));
    const spooled = (await readFile(path.join(dir, 'spool.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(spooled).toHaveLength(4);
    const firedAt = new Date(spooled[0].lookout.at).getTime();

    const running = await startServer({ PORT: String(port) });
    server = running;
    const feed = collect(running.wsClient(), FEED_EVENT, { after: 0 });
    // The next hook call delivers everything, the spool first.
    await runCli(['hook', 'claude-code'], env, hook('s3', repo, { hook_event_name: 'SessionStart' }));
    await expect(readFile(path.join(dir, 'spool.jsonl'), 'utf8')).rejects.toThrow();
    const events = await feed.next(2);
    expect(events.map((e) => [e.attentionChanged.session.id, e.attentionChanged.attention.reason])).toEqual([
      ['s1', 'WAITING'],
      ['s2', 'AWAITING_REPLY'],
    ]);
    const { data } = await running.gql(`{ session(id: "s1") { title createdAt events { edges { node { kind at } } } } }`);
    expect(data.session.title).toBe('While you were out');
    expect(new Date(data.session.events.edges[0].node.at).getTime()).toBe(firedAt);
  });

  it("drops, with a line in hook.log, an event the server refuses for good (another person's session), and delivers the rest", async () => {
    const dir = await home();
    const repo = await makeRepo('refused');
    const port = await freePort();
    const running = await startServer({ PORT: String(port), LOOKOUT_TOKEN: 'admin-token' });
    server = running;
    const token = async (person: string) =>
      (await running.gql(`mutation { createToken(name: "${person}", scope: REPORT, person: "${person}") { ... on MutationCreateTokenSuccess { data { token } } } }`)).data.createToken.data.token;
    const [ana, bo] = [await token('ana'), await token('bo')];
    // Bo registered "taken" first; Ana's machine spooled an event for it while Lookout was unreachable.
    await runCli(['hook', 'claude-code'], { LOOKOUT_URL: origin(running), LOOKOUT_HOME: await home(), LOOKOUT_TOKEN: bo }, hook('taken', repo, { hook_event_name: 'SessionStart' }));
    const spooled = { ...JSON.parse(hook('taken', repo, { hook_event_name: 'Stop' })), lookout: { at: new Date().toISOString(), eventId: 'e-taken' } };
    const mine = { ...JSON.parse(hook('a1', repo, { hook_event_name: 'UserPromptSubmit', prompt: 'Spooled too' })), lookout: { at: new Date().toISOString(), eventId: 'e-a1' } };
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'spool.jsonl'), `${JSON.stringify(spooled)}\n${JSON.stringify(mine)}\n`);
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_HOME: dir, LOOKOUT_TOKEN: ana };
    await runCli(['hook', 'claude-code'], env, hook('a2', repo, { hook_event_name: 'Stop' }));
    await expect(readFile(path.join(dir, 'spool.jsonl'), 'utf8')).rejects.toThrow();
    expect(await readFile(path.join(dir, 'hook.log'), 'utf8')).toMatch(/server answered 403, dropped the event/);
    const sessions = (await running.gql('{ sessions(scope: TEAM) { edges { node { id owner } } } }')).data.sessions.edges.map((e: any) => [e.node.id, e.node.owner]);
    expect(sessions.sort()).toEqual([['a1', 'ana'], ['a2', 'ana'], ['taken', 'bo']]);
    // Bo's session heard nothing of Ana's.
    expect((await running.gql('{ session(id: "taken") { lastSpeaker } }')).data.session.lastSpeaker).toBeNull();
  });

  it('lookout flush delivers by hand', async () => {
    const dir = await home();
    const repo = await makeRepo('flush');
    const port = await freePort();
    const env = { LOOKOUT_URL: `http://127.0.0.1:${port}`, LOOKOUT_HOME: dir };
    await runCli(['hook', 'claude-code'], env, hook('f', repo, { hook_event_name: 'Stop' }));
    const failed = await runCli(['flush'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/1 event\(s\) stay spooled/);
    const running = await startServer({ PORT: String(port) });
    server = running;
    const flushed = await runCli(['flush'], env);
    expect(flushed).toMatchObject({ code: 0, stdout: 'Delivered 1 spooled event(s).\n' });
    expect((await running.gql(`{ attentionSummary { needsYou } }`)).data.attentionSummary.needsYou).toBe(1);
  });
});

/** Runs the CLI in `cwd`, as a user would from a project folder. */
function runIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, LOOKOUT_URL: '', LOOKOUT_TOKEN: '', LOOKOUT_HOME: freshHome(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What Claude Code does with an installed http hook: interpolate the allowed variables, POST the payload. */
async function runHttpHook(entry: { url: string; headers?: Record<string, string>; allowedEnvVars?: string[] }, env: Record<string, string>, payload: string) {
  const headers = Object.fromEntries(
    Object.entries(entry.headers ?? {}).map(([name, value]) => [
      name,
      value.replace(/\$\{?(\w+)\}?/g, (_m, v: string) => (entry.allowedEnvVars?.includes(v) ? (env[v] ?? '') : '')),
    ]),
  );
  return fetch(entry.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
}

describe('lookout install / uninstall claude-code', () => {
  it("keeps the personal settings file out of git (the repository's own info/exclude, never a tracked file), once; a tracked one is left as it is", async () => {
    const repo = await makeRepo('ignored-settings');
    const installed = await runIn(repo, ['install', 'claude-code', '--url', 'http://127.0.0.1:4999']);
    expect(installed).toMatchObject({ code: 0 });
    expect(installed.stdout).toContain("Git ignores .claude/settings.local.json in this repository (.git/info/exclude): it holds the hooks' token.");
    expect((await git(repo, 'status', '--porcelain')).stdout).toBe('');
    expect(await git(repo, 'diff', 'HEAD', '--stat').then((r) => r.stdout)).toBe('');
    const again = await runIn(repo, ['install', 'claude-code', '--url', 'http://127.0.0.1:4998']);
    expect(again.stdout).not.toContain('Git ignores');
    expect((await readFile(path.join(repo, '.git', 'info', 'exclude'), 'utf8')).match(/settings\.local\.json/g)).toHaveLength(1);

    const tracking = await makeRepo('tracked-settings');
    await mkdir(path.join(tracking, '.claude'));
    await writeFile(path.join(tracking, '.claude', 'settings.local.json'), '{}\n');
    await git(tracking, 'add', '.');
    await git(tracking, 'commit', '-qm', 'Track the settings');
    const before = await readFile(path.join(tracking, '.git', 'info', 'exclude'), 'utf8').catch(() => '');
    expect((await runIn(tracking, ['install', 'claude-code', '--url', 'http://127.0.0.1:4999'])).stdout).not.toContain('Git ignores');
    expect(await readFile(path.join(tracking, '.git', 'info', 'exclude'), 'utf8').catch(() => '')).toBe(before);
  });

  it('adds its hooks beside existing ones in the formatting of the file, changes nothing the second time, and uninstall restores the original', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'lookout-project-'));
    const file = path.join(project, '.claude', 'settings.json');
    await mkdir(path.dirname(file));
    const original = {
      model: 'opus',
      permissions: { allow: ['Bash(npm test)'] },
      hooks: {
        Stop: [{ hooks: [{ type: 'command', command: 'afplay done.wav' }] }],
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './check-command.sh' }] }],
      },
    };
    const originalText = JSON.stringify(original, null, 4);
    await writeFile(file, originalText);

    const first = await runIn(project, ['install', 'claude-code', '--shared']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(notesOf(first.stdout)).toBe(`Backed up ${file} to ${file}.lookout-backup.\nWired Claude Code's hooks in ${file} report to http://127.0.0.1:4000.\n${nextSteps('http://127.0.0.1:4000')}${MCP_FORMS}${talksTo('http://127.0.0.1:4000')}`);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('{\n    "model": "opus",')).toBe(true); // four spaces, like the user's file
    expect(text.endsWith('}')).toBe(true); // and no final newline, as it had none
    const installed = JSON.parse(text);
    expect(installed.permissions).toEqual(original.permissions);
    expect(Object.keys(installed.hooks).sort()).toEqual([...CLAUDE_CODE_EVENTS].sort());
    expect(installed.hooks.Stop[0]).toEqual(original.hooks.Stop[0]);
    expect(installed.hooks.PreToolUse[0]).toEqual(original.hooks.PreToolUse[0]);
    expect(installed.hooks.Stop[1].hooks[0].command).toMatch(/lookout\.mjs hook claude-code --url http:\/\/127\.0\.0\.1:4000$/);
    expect(installed.hooks.PreToolUse[1].hooks[0]).toMatchObject({ type: 'http', url: 'http://127.0.0.1:4000/hooks/claude-code' });
    expect(await readFile(`${file}.lookout-backup`, 'utf8')).toBe(originalText);

    const second = await runIn(project, ['install', 'claude-code', '--shared']);
    expect(second.stdout).toMatch(/already: nothing changed/);
    expect(await readFile(file, 'utf8')).toBe(text);

    // Pointed elsewhere: the hooks move, and the backup still holds the file from before the first install.
    const moved = await runIn(project, ['install', 'claude-code', '--shared', '--url', 'http://127.0.0.1:4555']);
    expect(notesOf(moved.stdout)).toBe(`Wired Claude Code's hooks in ${file} report to http://127.0.0.1:4555.\n${nextSteps('http://127.0.0.1:4555')}${MCP_FORMS}${talksTo('http://127.0.0.1:4555')}`);
    expect(await readFile(`${file}.lookout-backup`, 'utf8')).toBe(originalText);

    // Opted in to answering MCP servers' forms from Lookout: the Elicitation hook waits as long as a permission prompt's.
    const opted = await runIn(project, ['install', 'claude-code', '--shared', '--url', 'http://127.0.0.1:4555', '--answer-from-feed']);
    expect(opted.stdout).toContain("An MCP server's form waits for your answer in Lookout (up to LOOKOUT_DECISION_TIMEOUT_SECONDS) before Claude Code shows its own");
    const optedHooks = JSON.parse(await readFile(file, 'utf8')).hooks;
    expect(optedHooks.Elicitation[0].hooks[0]).toMatchObject({ timeout: 600, command: expect.stringMatching(/hook claude-code --url http:\/\/127\.0\.0\.1:4555 --answer-from-feed$/) });
    expect(optedHooks.PermissionRequest[0].hooks[0]).toMatchObject({ timeout: 600 });
    expect(optedHooks.Stop[1].hooks[0]).toMatchObject({ timeout: 5 });

    const removed = await runIn(project, ['uninstall', 'claude-code', '--shared']);
    expect(removed.stdout).toBe(`Removed Lookout's hooks from ${file}: it is as it was before Lookout's first install.\n`);
    expect(await readFile(file, 'utf8')).toBe(originalText);
    expect(await stat(`${file}.lookout-backup`).catch(() => null)).toBeNull();

    // A file install created: installed twice (never backed up: it holds only Lookout's hooks), then removed whole.
    const fresh = await mkdtemp(path.join(tmpdir(), 'lookout-project-'));
    const created = path.join(fresh, '.claude', 'settings.json');
    await runIn(fresh, ['install', 'claude-code', '--shared']);
    const again = await runIn(fresh, ['install', 'claude-code', '--shared', '--url', 'http://127.0.0.1:4555']);
    expect(again.stdout).not.toMatch(/Backed up/);
    expect(await stat(`${created}.lookout-backup`).catch(() => null)).toBeNull();
    expect((await runIn(fresh, ['uninstall', 'claude-code', '--shared'])).stdout).toBe(`Removed ${created}: Lookout had created it, and it held only Lookout's hooks.\n`);
    expect(await stat(created).catch(() => null)).toBeNull();
  });

  it("writes a report-only token into the project's personal settings.local.json, never the admin token, and no token into a --shared file", async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 's3cret-token' });
    server = running;
    const project = await mkdtemp(path.join(tmpdir(), 'lookout-project-'));
    const local = path.join(project, '.claude', 'settings.local.json');
    const shared = path.join(project, '.claude', 'settings.json');
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 's3cret-token' };

    const lookoutHome = freshHome();
    const personal = await runIn(project, ['install', 'claude-code', '--person', 'alice'], { ...env, LOOKOUT_HOME: lookoutHome });
    expect(personal.code).toBe(0);
    expect(notesOf(personal.stdout).split('\n')).toEqual([
        `Wired Claude Code's hooks in ${local} report to ${origin(running)}.`,
        nextSteps(origin(running)).trim(),
        MCP_FORMS.trim(),
        expect.stringMatching(/^Made a report-only token for the hooks: "claude-code hooks on .+" \([0-9a-f]+\), reporting alice's sessions and nothing more\.$/),
        `The hooks read their token from ${path.join(lookoutHome, 'config.json')} (only you can read it), never from their command line.`,
        talksTo(origin(running)).trim(),
      '',
    ]);
    const localText = await readFile(local, 'utf8');
    expect(localText).not.toContain('s3cret-token');
    const written = /Bearer (lk_[\w-]+)/.exec(localText)![1]!;
    expect(JSON.parse(await readFile(path.join(lookoutHome, 'config.json'), 'utf8')).hookTokens).toEqual({ [origin(running)]: written });
    expect(JSON.parse(localText).hooks.PostToolUse[0].hooks[0].headers).toMatchObject({ authorization: `Bearer ${written}` });
    // It reports for alice, and can do nothing else.
    const tokens = (await running.gql('{ tokens { id scope person } }')).data.tokens;
    expect(tokens).toEqual([expect.objectContaining({ scope: 'REPORT', person: 'alice' })]);
    const asHooks = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${written}` }, body: JSON.stringify({ query: '{ attentionSummary { total } }' }) });
    expect(asHooks.status).toBe(403);
    await expect(readFile(shared, 'utf8')).rejects.toThrow();

    const team = await runIn(project, ['install', 'claude-code', '--shared'], env);
    expect(team.stdout).toMatch(/not written into this shared file: set LOOKOUT_TOKEN/);
    const sharedText = await readFile(shared, 'utf8');
    expect(sharedText).not.toMatch(/s3cret-token|lk_/);
    const sharedHttp = JSON.parse(sharedText).hooks.PostToolUse[0].hooks[0];
    expect(sharedHttp).toMatchObject({ headers: { authorization: 'Bearer $LOOKOUT_TOKEN' }, allowedEnvVars: expect.arrayContaining(['LOOKOUT_TOKEN']) });

    // With Lookout unreachable, install says so rather than write the admin token.
    const unreachable = await runIn(project, ['install', 'claude-code'], { LOOKOUT_URL: 'http://127.0.0.1:9', LOOKOUT_TOKEN: 's3cret-token' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^lookout: Cannot create a report-only token for the hooks/);
  });

  it('both hook forms it installs really reach the server it was pointed at, token and all', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'wired-token' });
    server = running;
    const project = await makeRepo('installed');
    // Run from elsewhere, pointing at the project with --dir; the URL and token come from the environment.
    const lookoutHome = await home();
    const installed = await runIn(tmpdir(), ['install', 'claude-code', '--dir', project], { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'wired-token', LOOKOUT_HOME: lookoutHome });
    expect(installed.code).toBe(0);
    const settings = JSON.parse(await readFile(path.join(project, '.claude', 'settings.local.json'), 'utf8'));
    // No token on the hook's command line (any user sees it in ps): it reads the one install kept, readable by its user alone.
    expect(settings.hooks.Stop[0].hooks[0].command).not.toMatch(/--token|lk_/);
    expect((await stat(path.join(lookoutHome, 'config.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(project, '.claude', 'settings.local.json'))).mode & 0o777).toBe(0o600);
    // The agent's environment has neither variable: what install wrote is enough.
    const agentEnv = { ...process.env, LOOKOUT_URL: '', LOOKOUT_TOKEN: '', LOOKOUT_HOME: lookoutHome, CLAUDE_CODE_ENTRYPOINT: 'cli' };

    const tool = await runHttpHook(settings.hooks.PreToolUse[0].hooks[0], agentEnv as Record<string, string>, hook('inst', project, { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } }));
    expect(tool.status).toBe(204);
    const command: string = settings.hooks.Stop[0].hooks[0].command;
    const child = exec(command, { env: agentEnv });
    child.stdin!.end(hook('inst', project, { hook_event_name: 'Stop', last_assistant_message: 'Listed it.' }));
    await new Promise((resolve) => child.on('exit', resolve));
    expect((await running.gql(`{ session(id: "inst") { attention { reason detail } } }`)).data.session.attention).toEqual({ reason: 'AWAITING_REPLY', detail: 'Listed it.' });
  });

  it.each([
    [['install', 'claude-code', '--user', '--dir', '.'], /^lookout: --user and --dir name different settings files: pass one\.$/],
    [['install', 'claude-code', '--dir', '/no/such/folder'], /^lookout: --dir \/no\/such\/folder: no such folder\.$/],
    [['install', 'claude-code', '--dir'], /^lookout: --dir needs a value\.$/],
    [['install', 'claude-code', '--usr'], /^lookout: Unknown option --usr\. Run lookout help COMMAND for a command's options\.$/],
    [['install'], /^lookout: install needs the agent: lookout install claude-code/],
    [['install', 'claude-code', '--url', 'localhost:4000'], /^lookout: --url must be an http:\/\/ or https:\/\/ URL/],
    [['install', 'claude-code', '--url', 'not a url'], /^lookout: --url must be a URL such as http:\/\/127\.0\.0\.1:4000 \(got "not a url"\)\.$/],
    [['event', '--session', 's', '--uncommitted', 'lots'], /^lookout: --uncommitted must be a number of files \(0 or more\) or "unknown" \(got "lots"\)\.$/],
    [['event', '--session', 's', '--uncommitted', '-3'], /^lookout: --uncommitted needs a value \(a value that starts with "-" goes as --uncommitted=VALUE\)\.$/],
    [['event', '--session', 's', '--uncommitted=-3'], /^lookout: --uncommitted must be a number of files \(0 or more\) or "unknown" \(got "-3"\)\.$/],
    [['event', '--session', 's', '--state', 'sleeping'], /^lookout: --state must be one of working, waiting, idle \(got "sleeping"\)\.$/],
    [['event', '--session', 's', '--state', 'waiting'], /^lookout: --state waiting needs --reason/],
    [['frobnicate'], /^lookout: Unknown command "frobnicate"\. Run lookout help for the commands\.$/],
  ])('refuses %j with one clear line and exit 2, changing nothing', async (args, message) => {
    const project = await mkdtemp(path.join(tmpdir(), 'lookout-project-'));
    const run = await runIn(project, args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    await expect(readFile(path.join(project, '.claude', 'settings.local.json'), 'utf8')).rejects.toThrow();
  });
});

describe('lookout ls, event and watch', () => {
  it('reports for any agent and says what it recorded, prints the feed for people and for scripts, and watches it', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'cli-token' });
    server = running;
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'cli-token' };
    const watcher = spawn(process.execPath, [CLI, 'watch'], { env: { ...process.env, ...env } });
    let watched = '';
    watcher.stdout.on('data', (c) => (watched += c));
    await subscribersListening(running, 1);
    expect(watched).toMatch(/^Needs you \(0\)\nIn focus \(0\)\nAll clear\.\nWatching for changes/);

    const reported = await runCli(['event', '--session', 'codex-1', '--agent', 'codex', '--title', 'Port the parser', '--project', 'parser', '--speaker', 'user', '--state', 'waiting', '--reason', 'permission', '--detail', 'apply_patch src/lib.rs'], env);
    expect(reported).toMatchObject({
      code: 0,
      stdout: 'Recorded for codex-1: you spoke last, title "Port the parser", project "parser", agent "codex"; waiting (permission): apply_patch src/lib.rs.\n',
    });
    const refused = await runCli(['event', '--session', 'codex-1', '--link', 'javascript:alert(1)'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^lookout: --link: must be a URL/);
    const noToken = await runCli(['ls'], { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: '' });
    expect(noToken).toMatchObject({ code: 1, stderr: expect.stringMatching(/needs a token: set LOOKOUT_TOKEN \(or pass --token\) to one with the act scope/) });

    const human = await runCli(['ls'], env);
    expect(human.stdout).toMatch(/Needs you \(1\)\n  Waiting for permission\s+(now|\d+s)  Port the parser  codex · parser\n\s+apply_patch src\/lib.rs\nIn focus \(0\)/);
    const json = JSON.parse((await runCli(['ls', '--json'], env)).stdout);
    expect(json).toEqual([expect.objectContaining({ id: 'codex-1', agent: 'codex', attention: expect.objectContaining({ reason: 'WAITING', detail: 'apply_patch src/lib.rs' }) })]);

    // A second watcher, started now, prints the feed as it is first.
    const late = spawn(process.execPath, [CLI, 'watch'], { env: { ...process.env, ...env } });
    let lateOut = '';
    late.stdout.on('data', (c) => (lateOut += c));
    await subscribersListening(running, 2);
    expect(lateOut).toMatch(/^Needs you \(1\)\n  Waiting for permission\s+(now|\d+s)  Port the parser  codex · parser/);

    await runCli(['event', '--session', 'codex-1', '--state', 'working'], env);
    // Each change with what it is about and the session's id.
    await expect.poll(() => watched).toMatch(/NEEDS_YOU +Waiting for permission · apply_patch src\/lib\.rs +Port the parser \(parser\) +\[codex-1\]\n.*left +\(was Waiting for permission\) +Port the parser \(parser\) +\[codex-1\]/);
    await expect.poll(() => lateOut).toMatch(/left +\(was Waiting for permission\) +Port the parser/);
    expect(lateOut).not.toMatch(/NEEDS_YOU/); // what it printed first is not repeated as a change
    watcher.kill();
    late.kill();
  });
});

describe('a long spool', () => {
  it('goes out in batches: some with each hook call, the rest with lookout flush, nothing lost', async () => {
    const dir = await home();
    const running = await startServer();
    server = running;
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_HOME: dir };
    const base = Date.now() - 60_000;
    const spooled = Array.from({ length: 450 }, (_, i) =>
      JSON.stringify({ session_id: `long-${i}`, hook_event_name: 'Stop', cwd: '/tmp', lookout: { at: new Date(base + i).toISOString(), eventId: `e${i}` } }),
    );
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'spool.jsonl'), `${spooled.join('\n')}\n`);

    await runCli(['hook', 'claude-code'], env, hook('now', '/tmp', { hook_event_name: 'Stop' }));
    expect((await readFile(path.join(dir, 'spool.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(430);
    expect((await runCli(['flush'], env)).stdout).toBe('Delivered 430 spooled event(s).\n');
    const { data } = await running.gql(`{ attentionSummary { needsYou } }`);
    expect(data.attentionSummary.needsYou).toBe(451);
  }, 60_000);
});

describe('the CLI a person expects', () => {
  it('says each mistake in one line with what to do, never the API\'s own names', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'admin-token' });
    server = running;
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'admin-token' };
    expect((await runCli(['event', '--session', 's1', '--speaker', 'user', '--state', 'waiting', '--reason', 'permission'], env)).code).toBe(0);
    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [['allow', 'nonexistent:abc'], env, 1, /^lookout: No session "nonexistent" is yours here: lookout ls shows the prompts you can answer\.$/],
      [['allow', 's1'], env, 2, /^lookout: "s1" is a session's id, not a prompt's: lookout ls shows each prompt's id/],
      [['deny', 's1:mistyped'], env, 1, /^lookout: Nothing waits for an answer to s1:mistyped here: answered in the terminal, its hook stopped waiting, or the id is mistyped/],
      [['answer', 's1:mistyped', 'MIT'], env, 1, /^lookout: Nothing waits for an answer to s1:mistyped here/],
      [['ls'], { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: '' }, 1, /^lookout: Lookout at http:\/\/127\.0\.0\.1:\d+ needs a token: set LOOKOUT_TOKEN/],
      [['ls'], { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'wrong' }, 1, /^lookout: Lookout at http:\/\/127\.0\.0\.1:\d+ refused the token \(revoked, or not one of its tokens\)/],
      [['ls'], { LOOKOUT_URL: 'http://127.0.0.1:1', LOOKOUT_TOKEN: '' }, 1, /^lookout: Cannot reach Lookout at http:\/\/127\.0\.0\.1:1 \(fetch failed\): start it \(npm start in its folder\), or pass --url/],
      [['help', 'frobnicate'], env, 2, /^lookout: Unknown command "frobnicate"\. Run lookout help for the commands\.$/],
    ];
    for (const [args, runEnv, code, line] of cases) {
      const run = await runCli(args, runEnv);
      expect({ args, code: run.code, stderr: run.stderr.trimEnd() }).toEqual({ args, code, stderr: expect.stringMatching(line) });
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('help for every command and for each one, its version, token tables with headers, a second revoke said as such', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'admin-token' });
    server = running;
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'admin-token' };
    const help = await runCli(['help'], env);
    for (const command of ['install', 'uninstall', 'doctor', 'ls', 'watch', 'allow', 'deny', 'answer', 'token', 'event', 'mcp', 'flush', 'unhide']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(help.stdout).toMatch(/^  uninstall codex/m);
    for (const args of [['ls', '--help'], ['help', 'ls']]) expect((await runCli(args, env)).stdout).toMatch(/^Usage: lookout ls \[--json\] \[--project P\]\n {7}lookout ls --hidden\n\nPrint the feed/);
    expect((await runCli(['install', '--help'], env)).stdout).toMatch(/^Usage: lookout install claude-code .*--answer-from-feed/);
    expect(await runCli(['--version'], env)).toMatchObject({ code: 0, stdout: `lookout ${JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version}\n` });

    const made = await runCli(['token', 'create', '--name', 'ci', '--scope', 'read'], env);
    const id = (await running.gql('{ tokens { id name } }')).data.tokens.find((t: any) => t.name === 'ci').id;
    expect(made.code).toBe(0);
    const listed = (await runCli(['token', 'ls'], env)).stdout.split('\n');
    expect(listed[0]).toMatch(/^ID +SCOPE +PERSON +STATE +NAME$/);
    expect(listed[1]!.indexOf('read')).toBe(listed[0]!.indexOf('SCOPE'));
    expect(await runCli(['token', 'revoke', id], env)).toMatchObject({ code: 0, stdout: `Revoked ${id}: refused from now on, and its open connections are closed.\n` });
    expect(await runCli(['token', 'revoke', id], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^${id} was already revoked \\(.+\\): nothing changed\\.\\n$`)) });
  });
});

describe('lookout doctor', () => {
  it('all good once installed with an admin token; a token refused, with the fix; the events kept unsent; a server that does not answer', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'admin-token' });
    server = running;
    const project = await makeRepo('doctored');
    const lookoutHome = freshHome();
    // `lookout` on the PATH, as `npm link` puts it.
    const bin = freshHome();
    await symlink(CLI, path.join(bin, 'lookout'));
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'admin-token', LOOKOUT_HOME: lookoutHome, HOME: lookoutHome, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const installed = await runIn(project, ['install', 'claude-code'], env);
    // Install ends with the check: everything between the agent and Lookout is well.
    expect(installed.stdout).toMatch(/\n\n✓ Node .+\n✓ The lookout command is on your PATH\.\n✓ Lookout answers at .+\n✓ Claude Code's http hooks in .+, and it takes their token \(written in the hook\)\.\n✓ Claude Code's command hooks in .+, and it takes their token \(kept in .+config\.json\)\.\n✓ No events wait to be delivered\.\nAll good: your agents reach Lookout\.\n$/);
    const ok = await runIn(project, ['doctor'], { ...env, LOOKOUT_TOKEN: '' });
    expect(ok.code).toBe(0);

    // The hooks' token revoked (as an admin would): the hooks are refused, their events kept, and doctor says so with the fix.
    const hooksToken = JSON.parse(await readFile(path.join(lookoutHome, 'config.json'), 'utf8')).hookTokens[origin(running)];
    const { id } = (await running.gql('{ tokens { id scope } }')).data.tokens.find((t: any) => t.scope === 'REPORT');
    await running.gql(`mutation { revokeToken(id: "${id}") { __typename } }`);
    const hook = await runIn(project, ['hook', 'claude-code', '--url', origin(running)], { ...env, LOOKOUT_TOKEN: '' });
    expect(hook.code).toBe(0);
    expect(hooksToken).toMatch(/^lk_/);
    const refused = await runIn(project, ['doctor'], { ...env, LOOKOUT_TOKEN: '' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`which refuses their token (kept in ${path.join(lookoutHome, 'config.json')}): their events are dropped or kept unsent.\n    fix: LOOKOUT_TOKEN=<an admin token> lookout install claude-code --url ${origin(running)}`);

    // The server gone: doctor says so, and how to point the hooks elsewhere.
    await running.stop();
    const down = await runIn(project, ['doctor'], { ...env, LOOKOUT_TOKEN: '' });
    expect(down.stdout).toContain(`✗ Lookout does not answer at ${origin(running)} (nothing listens there)`);
    expect(down.stdout).toMatch(/problems: the fix is under each\.\n$/);
    // Without it on the PATH, doctor says how to put it there.
    const noPath = await runIn(project, ['doctor'], { ...env, PATH: path.dirname(process.execPath) });
    expect(noPath.stdout).toContain("✗ The lookout command is not on your PATH.\n    fix: npm link in Lookout's folder");
  });

  it("says when the server runs another version than the command (the page and hooks come from the server's build)", async () => {
    const older = createHttpServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"alive","version":"0.0.1"}'));
    await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(older.address() as { port: number }).port}`;
      const doctored = await runCli(['doctor'], { LOOKOUT_URL: url, LOOKOUT_TOKEN: '', HOME: freshHome() });
      expect(doctored.stdout).toMatch(new RegExp(`✗ Lookout at ${url} runs version 0\\.0\\.1, this lookout command \\d+\\.\\d+\\.\\d+\\.\\n {4}fix: npm install, then restart Lookout`));
    } finally {
      older.close();
    }
  });

  it('counts the events a hook kept while it could not deliver them, with the reason from its log', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'admin-token' });
    server = running;
    const project = await makeRepo('spooling');
    const lookoutHome = freshHome();
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: '', LOOKOUT_HOME: lookoutHome, HOME: lookoutHome };
    await runIn(project, ['install', 'claude-code'], env);
    // No token at all (installed without one, against a server that wants one): each event is refused and kept.
    for (const event of ['SessionStart', 'Stop']) await runCli(['hook', 'claude-code'], env, hook('spooled', project, { hook_event_name: event }));
    const doctored = await runIn(project, ['doctor'], env);
    expect(doctored.stdout).toMatch(/✗ 2 claude-code event\(s\) wait to be delivered \(the hook's log: .*server answered 401.*\)\.\n {4}fix: lookout flush, once the problems above are fixed/);
  });
});
