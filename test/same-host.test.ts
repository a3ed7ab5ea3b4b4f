// What the server sees of an agent on its own machine: real agent processes that run the hook the
// way Claude Code does (through a shell), that exit; real transcripts that end in an interruption,
// and files that are no transcript, never read; a hostile repository the server never runs git in.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { access, appendFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isTranscriptPath, transcriptEnd } from '../api/hooks/same-host.ts';
import { CLI, git, makeDirty, makeRepo } from './cli-helpers.ts';
import { collect, FEED_EVENT, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
const SESSION_GIT = `query($id: ID!) { session(id: $id) { project branch uncommittedFiles closedAt } }`;
const agents: ChildProcess[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.kill('SIGKILL');
  await server?.stop();
});

// A stand-in for Claude Code: runs the installed command hook through `sh -c` for each payload it is
// given, says so, then stays alive until it is killed. Its own arguments are its command line.
const AGENT = `
import { spawn } from 'node:child_process';
const [cli, ...payloads] = JSON.parse(process.env.FAKE_AGENT_PLAN);
for (const payload of payloads) {
  await new Promise((resolve) => {
    const hook = spawn('/bin/sh', ['-c', \`\${process.env.FAKE_AGENT_WRAPPER ?? ''} "\${process.execPath}" "\${cli}" hook claude-code\`], { stdio: ['pipe', 'inherit', 'inherit'] });
    hook.on('exit', resolve);
    hook.stdin.end(JSON.stringify(payload));
  });
}
process.stdout.write('hooked\\n');
setInterval(() => {}, 60_000);
`;

/** `wrapper`: what the hook's command runs it through (`timeout 30`, a package runner). */
async function startAgent(args: string[], payloads: Record<string, unknown>[], wrapper = ''): Promise<ChildProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-agent-'));
  const script = path.join(dir, 'claude.mjs');
  await writeFile(script, AGENT);
  const agent = spawn(process.execPath, [script, ...args], {
    env: {
      ...process.env,
      FAKE_AGENT_PLAN: JSON.stringify([CLI, ...payloads]),
      LOOKOUT_URL: server.url.replace(/\/graphql$/, ''),
      LOOKOUT_HOME: dir,
      CLAUDE_CODE_ENTRYPOINT: '',
      FAKE_AGENT_WRAPPER: wrapper,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  agents.push(agent);
  await new Promise<void>((resolve) => agent.stdout!.on('data', (chunk) => String(chunk).includes('hooked') && resolve()));
  return agent;
}

const SESSION = `query($id: ID!) { session(id: $id) { state closedBy attention { reason label detail } } }`;
const attentionOf = async (id: string) => (await server.gql(SESSION, { id })).data.session.attention;

describe('an agent process on this machine', () => {
  it('that exits mid-turn is done ("Agent exited"), and one that exits after its turn shows what it left', async () => {
    server = await startServer();
    const feed = collect(server.wsClient(), FEED_EVENT, { after: null });
    await subscribersListening(server, 1);
    const busy = await makeRepo('busy');
    const finished = await makeRepo('finished');
    const working = await startAgent([], [
      { session_id: 'mid', cwd: busy, hook_event_name: 'UserPromptSubmit', prompt: 'Build it' },
      { session_id: 'mid', cwd: busy, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'make' } },
    ]);
    await makeDirty(finished, 2);
    const replied = await startAgent([], [
      { session_id: 'after', cwd: finished, hook_event_name: 'UserPromptSubmit', prompt: 'Write the docs' },
      { session_id: 'after', cwd: finished, hook_event_name: 'Stop', last_assistant_message: 'Docs written.' },
    ]);
    // Alive: working, and waiting for a reply.
    expect(await attentionOf('mid')).toBeNull();
    expect(await attentionOf('after')).toMatchObject({ reason: 'AWAITING_REPLY', detail: 'Docs written.' });
    const seen = feed.received.length;

    working.kill('SIGKILL');
    replied.kill('SIGKILL');
    const changes = (await feed.next(seen + 2)).slice(seen).map((c: any) => [c.attentionChanged.session.id, c.attentionChanged.attention?.reason]);
    expect(changes).toEqual(expect.arrayContaining([['mid', 'DONE'], ['after', 'UNCOMMITTED_WORK']]));
    expect(await attentionOf('mid')).toEqual({ reason: 'DONE', label: 'Done', detail: 'Agent exited' });
    expect(await attentionOf('after')).toMatchObject({ reason: 'UNCOMMITTED_WORK', label: '2 uncommitted files' });
  }, 20_000);

  it('a hook run through a wrapper (timeout, a package runner) still finds the agent: the wrapper exiting ends nothing; the agent exiting does', async () => {
    server = await startServer();
    const repo = await makeRepo('wrapped');
    const wrapperDir = await mkdtemp(path.join(tmpdir(), 'lookout-wrapper-'));
    // A package runner stand-in: a node process between the shell and the hook, gone when the hook is.
    const runner = path.join(wrapperDir, 'npm-exec.mjs');
    await writeFile(runner, `import { spawnSync } from 'node:child_process';\nprocess.exitCode = spawnSync(process.argv[2], process.argv.slice(3), { stdio: 'inherit' }).status;\n`);
    const agent = await startAgent(
      [],
      [
        { session_id: 'wrapped', cwd: repo, hook_event_name: 'UserPromptSubmit', prompt: 'Build it' },
        { session_id: 'wrapped', cwd: repo, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'make' } },
      ],
      `timeout 30 "${process.execPath}" "${runner}"`,
    );
    // Every wrapper has exited by now; a whole pass of the checks later the session is still at work.
    await server.sameHost.passed();
    expect((await server.gql(SESSION, { id: 'wrapped' })).data.session).toMatchObject({ state: 'WORKING', closedBy: null });
    const feed = collect(server.wsClient(), FEED_EVENT, { after: server.attention.latestSeq });
    await subscribersListening(server, 1);
    agent.kill('SIGKILL');
    await feed.next(1);
    expect(await attentionOf('wrapped')).toEqual({ reason: 'DONE', label: 'Done', detail: 'Agent exited' });
  });

  it('started with -p is headless: its turn ending ends the session, whatever the environment says', async () => {
    server = await startServer();
    const repo = await makeRepo('headless');
    await startAgent(['-p', 'Update the changelog'], [
      { session_id: 'ci', cwd: repo, hook_event_name: 'UserPromptSubmit', prompt: 'Update the changelog' },
      { session_id: 'ci', cwd: repo, hook_event_name: 'Stop', last_assistant_message: 'Changelog updated.' },
    ]);
    expect((await server.gql(SESSION, { id: 'ci' })).data.session).toMatchObject({
      state: 'ENDED',
      closedBy: 'AUTO',
      attention: { reason: 'DONE', detail: 'Changelog updated.' },
    });
  });
});

describe('a transcript on this machine', () => {
  const entry = (type: string, content: unknown, at = new Date()) =>
    `${JSON.stringify({ type, timestamp: at.toISOString(), message: { role: type, content } })}\n`;

  it.each([
    ['a prompt answered "no" with Esc ends the wait and the turn', [{ type: 'tool_result', tool_use_id: 't1', content: "The user doesn't want to proceed with this tool use. The tool use was rejected." }], '[Request interrupted by user for tool use]', null],
    ['a prompt answered "no, do this instead" ends the wait; the agent works on', null, [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: "The user doesn't want to proceed with this tool use. The tool use was rejected. The user said: use staging" }], null],
  ])('%s, within a second or two, with no hook', async (_name, before, last, reason) => {
    server = await startServer();
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lookout-home-')), '.claude', 'projects', '-work-app');
    await mkdir(dir, { recursive: true });
    const transcript = path.join(dir, 'session.jsonl');
    await writeFile(transcript, entry('user', 'Deploy it', new Date(Date.now() - 5_000)));
    const post = (hook: Record<string, unknown>) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 't', transcript_path: transcript, cwd: dir, ...hook }),
      });
    // Another session names a FIFO as its transcript: reading it would block the checks for everyone.
    const fifo = path.join(dir, 'fifo.jsonl');
    await promisify(execFile)('mkfifo', [fifo]);
    await post({ session_id: 'fifo', transcript_path: fifo, hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' } });
    await post({ hook_event_name: 'UserPromptSubmit', prompt: 'Deploy it' });
    await post({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: './deploy.sh prod' } });
    expect(await attentionOf('t')).toMatchObject({ reason: 'WAITING', detail: 'Bash: ./deploy.sh prod' });

    const feed = collect(server.wsClient(), FEED_EVENT, { after: server.attention.latestSeq });
    await subscribersListening(server, 1);
    await appendFile(transcript, entry('assistant', [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: './deploy.sh prod' } }]));
    if (before) await appendFile(transcript, entry('user', before));
    await appendFile(transcript, entry('user', last));
    const [change] = await feed.next(1);
    expect(change.attentionChanged).toMatchObject({ session: { id: 't' }, attention: reason, previous: { reason: 'WAITING' } });
    expect((await server.gql(SESSION, { id: 't' })).data.session.state).toBe(typeof last === 'string' ? 'IDLE' : 'WORKING');
  });

  it('reads no file but a transcript where Claude Code keeps them, however it is named or linked', async () => {
    server = await startServer();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const projects = path.join(home, '.claude', 'projects', '-work-app');
    await mkdir(projects, { recursive: true });
    // Files the server can read that end as a transcript would: named by a hook, or linked from where a transcript goes.
    const elsewhere = path.join(home, 'notes.jsonl');
    await writeFile(elsewhere, entry('user', '[Request interrupted by user]'));
    await symlink(elsewhere, path.join(projects, 'linked.jsonl'));
    const real = path.join(projects, 'real.jsonl');
    await writeFile(real, entry('user', 'Deploy it', new Date(Date.now() - 5_000)));
    const post = (sessionId: string, transcript: string, hook: Record<string, unknown>) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: sessionId, transcript_path: transcript, cwd: home, ...hook }),
      });
    const prompt = { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: './deploy.sh prod' } };
    await post('named', elsewhere, prompt);
    await post('linked', path.join(projects, 'linked.jsonl'), prompt);
    await post('real', real, prompt);
    const feed = collect(server.wsClient(), FEED_EVENT, { after: server.attention.latestSeq });
    await subscribersListening(server, 1);
    await appendFile(real, entry('user', '[Request interrupted by user]'));
    const [change] = await feed.next(1);
    expect(change.attentionChanged.session.id).toBe('real');
    await server.sameHost.passed();
    expect(feed.received).toHaveLength(1);
    expect(await attentionOf('named')).toMatchObject({ reason: 'WAITING' });
    expect(await attentionOf('linked')).toMatchObject({ reason: 'WAITING' });
  });

  it.each([
    ['/home/dev/.claude/projects/-work-app/4f1c.jsonl', undefined, true],
    ['/srv/claude/projects/-work-app/4f1c.jsonl', '/srv/claude/', true],
    ['/srv/claude/projects/-work-app/4f1c.jsonl', undefined, false],
    ['/home/dev/.claude/projects/4f1c.jsonl', undefined, false],
    ['/home/dev/.claude/projects/-work-app/4f1c.json', undefined, false],
    ['/home/dev/.claude/settings.json', undefined, false],
    ['/etc/shadow', undefined, false],
  ])('%s is a transcript path (config dir %s): %s', (real, configDir, expected) => {
    expect(isTranscriptPath(real, configDir)).toBe(expected);
  });

  it('reads only the end that matters: an old interruption, or one before the wait, says nothing', () => {
    const old = new Date('2026-11-27T09:00:00Z');
    expect(transcriptEnd(entry('user', '[Request interrupted by user]', old))).toEqual({ kind: 'interrupted', at: old });
    expect(transcriptEnd(entry('user', '[Request interrupted by user]', old) + entry('user', 'Try again', old))).toBeNull();
    expect(transcriptEnd(entry('user', '[Request interrupted by user]', old) + entry('assistant', 'Sure.', old))).toBeNull();
    // A line cut where the tail began, and entries that are not the conversation, are skipped.
    expect(transcriptEnd(`ial":1}\n${entry('user', '[Request interrupted by user]', old)}${JSON.stringify({ type: 'summary', summary: 'x' })}\n`)).toEqual({ kind: 'interrupted', at: old });
  });
});

describe('a repository named by a hook', () => {
  it('never makes the server run its code: no filter, fsmonitor or hook of it runs, whatever hooks report from this machine', async () => {
    server = await startServer();
    const repo = await makeRepo('hostile');
    const marker = path.join(path.dirname(repo), 'ran');
    const run = `sh -c 'echo "$0" >> ${marker}'`;
    await writeFile(path.join(repo, '.gitattributes'), '* filter=pwn diff=pwn\n');
    await git(repo, 'config', 'filter.pwn.clean', `${run} clean; cat`);
    await git(repo, 'config', 'filter.pwn.process', `${run} process`);
    await git(repo, 'config', 'diff.pwn.textconv', `${run} textconv; cat`);
    await git(repo, 'config', 'core.fsmonitor', `${run} fsmonitor`);
    await git(repo, 'config', 'core.hooksPath', repo);
    await writeFile(path.join(repo, 'post-index-change'), `#!/bin/sh\n${run} hook\n`, { mode: 0o755 });
    // A tracked file changed in place (same size): git must read it through the filter to know.
    await writeFile(path.join(repo, 'README.md'), '# TEST\n');
    const post = (hook: Record<string, unknown>) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 'h', cwd: repo, transcript_path: path.join(repo, 'x.jsonl'), ...hook }),
      });
    for (const hook of [
      { hook_event_name: 'SessionStart', source: 'startup' },
      { hook_event_name: 'UserPromptSubmit', prompt: 'Go' },
      { hook_event_name: 'Stop', last_assistant_message: 'Done.' },
      { hook_event_name: 'SessionEnd', reason: 'other' },
    ]) expect((await post(hook)).status).toBe(204);
    await server.sameHost.passed();
    expect((await server.gql(SESSION_GIT, { id: 'h' })).data.session).toEqual({ project: 'hostile', branch: null, uncommittedFiles: null, closedAt: expect.any(String) });
    await expect(access(marker)).rejects.toThrow(/ENOENT/);
    // The repository is as hostile as it looks: git run in it by anyone runs its programs.
    await promisify(execFile)('git', ['status', '--porcelain'], { cwd: repo }).catch(() => {});
    await access(marker);
  });
});
