// The lookout CLI as users and hooks run it, against the real server (or none).
import { exec, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_EVENTS } from '../api/cli/install.ts';
import { CLI, makeRepo, runCli } from './cli-helpers.ts';
import { collect, FEED_EVENT, sleep, startServer, type TestServer } from './helpers.ts';

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

describe('lookout install / uninstall claude-code', () => {
  it('adds its hooks beside existing ones, changes nothing the second time, and uninstall restores the original', async () => {
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
    await writeFile(file, JSON.stringify(original, null, 4));
    const cwdRun = async (args: string[]) => {
      return new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: project });
        let stdout = '';
        child.stdout.on('data', (c) => (stdout += c));
        child.on('exit', (code) => resolve({ code, stdout }));
      });
    };

    const first = await cwdRun(['install', 'claude-code']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Backed up .*settings.json.*Added Lookout's hooks/s);
    const installed = JSON.parse(await readFile(file, 'utf8'));
    expect(installed.model).toBe('opus');
    expect(installed.permissions).toEqual(original.permissions);
    expect(Object.keys(installed.hooks).sort()).toEqual([...new Set([...CLAUDE_CODE_EVENTS, 'Stop', 'PreToolUse'])].sort());
    expect(installed.hooks.Stop[0]).toEqual(original.hooks.Stop[0]);
    expect(installed.hooks.PreToolUse[0]).toEqual(original.hooks.PreToolUse[0]);
    expect(installed.hooks.Stop[1].hooks[0].command).toMatch(/lookout\.mjs hook claude-code$/);
    expect(JSON.parse(await readFile(`${file}.lookout-backup`, 'utf8'))).toEqual(original);

    const before = await readFile(file, 'utf8');
    const second = await cwdRun(['install', 'claude-code']);
    expect(second.stdout).toMatch(/nothing changed/);
    expect(await readFile(file, 'utf8')).toBe(before);

    const removed = await cwdRun(['uninstall', 'claude-code']);
    expect(removed.stdout).toMatch(/Removed Lookout's hooks/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(original);
  });

  it('the installed command really runs the hook, for a project named with --dir', async () => {
    const running = await startServer();
    server = running;
    const project = await makeRepo('installed');
    // Run from elsewhere, pointing at the project with --dir.
    await new Promise((resolve) => spawn(process.execPath, [CLI, 'install', 'claude-code', '--dir', project, '--url', origin(running)], { cwd: tmpdir() }).on('exit', resolve));
    const settings = JSON.parse(await readFile(path.join(project, '.claude', 'settings.json'), 'utf8'));
    const command: string = settings.hooks.Stop[0].hooks[0].command;
    const child = exec(command, { env: { ...process.env, LOOKOUT_HOME: await home() } });
    child.stdin!.end(hook('inst', project, { hook_event_name: 'Stop' }));
    await new Promise((resolve) => child.on('exit', resolve));
    expect((await running.gql(`{ session(id: "inst") { attention { reason } } }`)).data.session.attention.reason).toBe('AWAITING_REPLY');
  });
});

describe('lookout ls, event and watch', () => {
  it('reports for any agent, prints the feed for people and for scripts, and streams changes', async () => {
    const running = await startServer({ LOOKOUT_TOKEN: 'cli-token' });
    server = running;
    const env = { LOOKOUT_URL: origin(running), LOOKOUT_TOKEN: 'cli-token' };
    const watcher = spawn(process.execPath, [CLI, 'watch'], { env: { ...process.env, ...env } });
    let watched = '';
    watcher.stdout.on('data', (c) => (watched += c));
    await sleep(800);

    const reported = await runCli(['event', '--session', 'codex-1', '--agent', 'codex', '--title', 'Port the parser', '--project', 'parser', '--speaker', 'user', '--state', 'waiting', '--reason', 'permission', '--detail', 'apply_patch src/lib.rs'], env);
    expect(reported).toMatchObject({ code: 0, stdout: 'Recorded recordSpeaker, recordActivity for codex-1.\n' });
    const bad = await runCli(['event', '--session', 'codex-1', '--state', 'waiting'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/waitReason: is required when state is WAITING/);
    const noToken = await runCli(['ls'], { LOOKOUT_URL: origin(running) });
    expect(noToken).toMatchObject({ code: 1, stderr: expect.stringMatching(/refused the token/) });

    const human = await runCli(['ls'], env);
    expect(human.stdout).toMatch(/Needs you \(1\)\n  Waiting for permission\s+now  Port the parser  parser\n\s+apply_patch src\/lib.rs\nIn focus \(0\)/);
    const json = JSON.parse((await runCli(['ls', '--json'], env)).stdout);
    expect(json).toEqual([expect.objectContaining({ id: 'codex-1', agent: 'codex', attention: expect.objectContaining({ reason: 'WAITING' }) })]);

    await runCli(['event', '--session', 'codex-1', '--state', 'working'], env);
    await expect.poll(() => watched, { timeout: 5_000 }).toMatch(/NEEDS_YOU +Waiting for permission +Port the parser \(parser\)\n.*left +\(was Waiting for permission\) +Port the parser/);
    watcher.kill();
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
