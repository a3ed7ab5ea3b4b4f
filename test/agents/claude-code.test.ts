// The real Claude Code CLI (the pinned version, test/agents/versions.ts) against a scripted model and
// Lookout with its hooks installed, all inside a network namespace (npm run test:agents): what
// Claude Code does with Lookout's answers is what these assert, so a change in its hooks fails here.
import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NO_PLAN } from '../../api/hooks/agent-hooks.ts';
import { LICENSE_QUESTION } from '../fixtures/questions.ts';
import { startServer, type TestServer } from '../helpers.ts';
import { assertNoNetwork, claudeCodeProject, runHeadless, startInteractive, withDeployer } from './claude-code-helpers.ts';
import { type ScriptedModel, startScriptedModel } from './scripted-model.ts';

let server: TestServer;
let model: ScriptedModel;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(() => assertNoNetwork());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await model?.close();
  await server?.stop();
});

const origin = () => server.url.replace(/\/graphql$/, '');
const WAITING = `{ attentionSessions { edges { node { id state attention { reason detail } pendingPermission { id kind tool input questions { question options { label } } } } } } }`;
const ANSWER = `mutation($input: AnswerPermissionInput!) { answerPermission(input: $input) { __typename ... on Error { message } } }`;
const ANSWER_QUESTION = `mutation($input: AnswerQuestionInput!) { answerQuestion(input: $input) { __typename ... on Error { message } } }`;

const SESSIONS = `{ sessions(first: 10) { edges { node { id state uncommittedFiles attention { reason label } } } } }`;
type Listed = { id: string; state: string; uncommittedFiles: number | null; attention: { reason: string; label: string } | null };

/** The sessions, once they satisfy \`ready\` (each report moves the log on: the signal to look again). */
async function sessionsOnce(ready: (all: Listed[]) => boolean, timeoutMs = 30_000): Promise<Listed[]> {
  const deadline = Date.now() + timeoutMs;
  for (let seen = -1; ; ) {
    if (server.attention.latestSeq !== seen) {
      seen = server.attention.latestSeq;
      const all = (await server.gql(SESSIONS)).data.sessions.edges.map((e: { node: Listed }) => e.node);
      if (ready(all)) return all;
    }
    if (Date.now() > deadline) throw new Error('The sessions never came to the state waited for');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Once a hook waits here for an answer: the session and its prompt, as the feed shows them. */
async function waitingPrompt(screen?: () => Promise<string>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (server.attention.decisionWaitCount < 1) {
    if (Date.now() > deadline) throw new Error(`No hook came to wait for an answer.${screen ? ` The screen:\n${await screen()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { data } = await server.gql(WAITING);
  return data.attentionSessions.edges.map((e: any) => e.node).find((n: any) => n.pendingPermission);
}

describe('headless (claude -p)', () => {
  it('a Bash permission prompt waits in Lookout; allowed from Lookout, Claude Code runs the tool', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'Bash', input: { command: 'echo hi > out.txt', description: 'Write hi to out.txt' } });
    const project = await claudeCodeProject('headless-allow', origin(), model.url);
    const run = runHeadless(project, 'Write hi to out.txt');
    cleanups.push(async () => run.child.kill('SIGKILL'));
    const session = await waitingPrompt();
    expect(session).toMatchObject({ state: 'WAITING', pendingPermission: { kind: 'PERMISSION', tool: 'Bash', input: 'echo hi > out.txt' } });
    expect((await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'ALLOW_ONCE' } })).data.answerPermission).toEqual({ __typename: 'MutationAnswerPermissionSuccess' });
    expect(await model.toolResult()).toMatchObject({ isError: false });
    expect((await run.done).code).toBe(0);
    expect(await readFile(path.join(project.repo, 'out.txt'), 'utf8')).toBe('hi\n');
  });

  it('denied from Lookout with a message: the tool does not run and Claude Code hears why', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'Bash', input: { command: 'rm -rf build && echo gone > out.txt', description: 'Clean the build' } });
    const project = await claudeCodeProject('headless-deny', origin(), model.url);
    const run = runHeadless(project, 'Clean the build');
    cleanups.push(async () => run.child.kill('SIGKILL'));
    const session = await waitingPrompt();
    await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'DENY', message: 'Use make clean instead' } });
    const result = await model.toolResult();
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('Use make clean instead');
    await run.done;
    expect(existsSync(path.join(project.repo, 'out.txt'))).toBe(false);
  });
  it('always allowed from Lookout: Claude Code runs the tool and keeps the rule it offered in the settings file', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'Bash', input: { command: 'npm run build', description: 'Build the project' } });
    const project = await claudeCodeProject('headless-always', origin(), model.url);
    await writeFile(path.join(project.repo, 'package.json'), JSON.stringify({ name: 'app', private: true, scripts: { build: 'echo built > built.txt' } }));
    const run = runHeadless(project, 'Build the project');
    cleanups.push(async () => run.child.kill('SIGKILL'));
    const session = await waitingPrompt();
    const { data } = await server.gql(`query($id: ID!) { session(id: $id) { pendingPermission { alwaysAllowRule } } }`, { id: session.id });
    expect(data.session.pendingPermission.alwaysAllowRule).toBe('Bash(npm run *), kept in .claude/settings.local.json');
    expect((await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'ALLOW_ALWAYS' } })).data.answerPermission).toEqual({ __typename: 'MutationAnswerPermissionSuccess' });
    expect(await model.toolResult()).toMatchObject({ isError: false });
    await run.done;
    const settings = JSON.parse(await readFile(path.join(project.repo, '.claude', 'settings.local.json'), 'utf8'));
    expect(settings.permissions.allow).toEqual(['Bash(npm run *)']);
    expect(await readFile(path.join(project.repo, 'built.txt'), 'utf8')).toBe('built\n');
  });
});

const FORM = `{ attentionSessions { edges { node { id state attention { reason detail } pendingPermissions { id kind tool elicitation { fields { name type } } } } } } }`;
const ANSWER_FORM = `mutation($input: AnswerElicitationInput!) { answerElicitation(input: $input) { __typename ... on Error { message } } }`;
const DEPLOY = { name: 'mcp__deployer__deploy', input: {}, force: true };

describe("an MCP server's form (elicitation)", () => {
  it('opted in (--answer-from-feed): the form waits in Lookout; filled in there, the MCP server gets the values', async () => {
    server = await startServer();
    model = await startScriptedModel(DEPLOY);
    const project = await claudeCodeProject('form-answered', origin(), model.url, ['--answer-from-feed']);
    await withDeployer(project);
    const run = runHeadless(project, 'Deploy the service');
    cleanups.push(async () => run.child.kill('SIGKILL'));
    await waitingPrompt();
    const session = (await server.gql(FORM)).data.attentionSessions.edges[0].node;
    expect(session).toMatchObject({
      state: 'WAITING',
      attention: { reason: 'WAITING', detail: 'Where should the service be deployed?' },
      pendingPermissions: [{ kind: 'ELICITATION', tool: 'deployer', elicitation: { fields: [{ name: 'environment', type: 'CHOICE' }, { name: 'replicas', type: 'INTEGER' }, { name: 'notify', type: 'BOOLEAN' }] } }],
    });
    const values = [{ field: 'environment', text: 'staging' }, { field: 'replicas', number: 2 }];
    const answered = await server.gql(ANSWER_FORM, { input: { requestId: session.pendingPermissions[0].id, action: 'ACCEPT', values } });
    expect(answered.data.answerElicitation).toEqual({ __typename: 'MutationAnswerElicitationSuccess' });
    // What the MCP server's elicitInput returned, as its tool reports it.
    const result = await model.toolResult();
    expect(result).toMatchObject({ isError: false });
    expect(JSON.parse(result.content.replace(/^elicitation /, ''))).toEqual({ action: 'accept', content: { environment: 'staging', replicas: 2 } });
    expect((await run.done).code).toBe(0);
  });

  it('not opted in: Claude Code shows its form at once while Lookout shows what it asks; answered in the terminal, the wait ends', async () => {
    server = await startServer();
    model = await startScriptedModel(DEPLOY);
    const project = await claudeCodeProject('form-terminal', origin(), model.url);
    await withDeployer(project);
    const cli = await startInteractive(project, 'form-terminal');
    cleanups.push(cli.stop);
    await cli.keys('Deploy the service', 'Enter');
    await cli.shows(/MCP server .deployer. requests your input/);
    const [waiting] = await sessionsOnce((all) => all.some((s) => s.attention?.reason === 'WAITING'));
    expect(waiting).toMatchObject({ state: 'WAITING' });
    expect((await server.gql(FORM)).data.attentionSessions.edges[0].node).toMatchObject({ attention: { detail: 'Where should the service be deployed?' }, pendingPermissions: [] });
    // Esc cancels the form in the terminal: Claude Code's ElicitationResult tells Lookout.
    await cli.keys('Escape');
    const result = await model.toolResult();
    expect(JSON.parse(result.content.replace(/^elicitation /, ''))).toMatchObject({ action: 'cancel' });
    await sessionsOnce((all) => all.every((s) => s.attention?.reason !== 'WAITING'));
  });
});

describe('a subagent', () => {
  it("its tool call's prompt is the subagent's in Lookout: answered from there, the subagent runs the tool and the main thread goes on", async () => {
    server = await startServer();
    const prompt = 'SUBTASK: clean the build folder';
    model = await startScriptedModel({ name: 'Agent', input: { description: 'Clean the build', prompt, subagent_type: 'general-purpose' } }, 'Done. Anything else?', {
      prompt,
      call: { name: 'Bash', input: { command: 'rm -rf build && echo cleaned > cleaned.txt', description: 'Clean the build folder' } },
    });
    const project = await claudeCodeProject('subagent', origin(), model.url);
    const run = runHeadless(project, 'Clean the build, with a subagent');
    cleanups.push(async () => run.child.kill('SIGKILL'));
    const session = await waitingPrompt();
    const { data } = await server.gql(`query($id: ID!) { session(id: $id) { pendingPermission { tool input fromSubagent } attention { detail } } }`, { id: session.id });
    expect(data.session.pendingPermission).toEqual({ tool: 'Bash', input: 'rm -rf build && echo cleaned > cleaned.txt', fromSubagent: true });
    expect(data.session.attention.detail).toMatch(/agent · Bash: rm -rf build/);
    expect((await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'ALLOW_ONCE' } })).data.answerPermission).toEqual({ __typename: 'MutationAnswerPermissionSuccess' });
    expect(await model.subagentToolResult()).toMatchObject({ isError: false });
    expect(await model.toolResult()).toMatchObject({ isError: false });
    expect((await run.done).code).toBe(0);
    expect(await readFile(path.join(project.repo, 'cleaned.txt'), 'utf8')).toBe('cleaned\n');
  });
});

describe('interactive, under tmux', () => {
  // Claude Code 2.1.332 sends a question to the PermissionRequest hook in every permission mode
  // (measured here; older reports said only PreToolUse fired outside the default mode).
  it.each([
    ['auto (the default)', []],
    ['acceptEdits', ['--permission-mode', 'acceptEdits']],
    ['plan', ['--permission-mode', 'plan']],
    ['bypassPermissions', ['--permission-mode', 'bypassPermissions']],
  ])('a question in %s mode: answered from Lookout, Claude Code takes the answer and its dialog closes', async (mode, args) => {
    server = await startServer();
    model = await startScriptedModel({ name: 'AskUserQuestion', input: { questions: [LICENSE_QUESTION] } });
    const project = await claudeCodeProject(`question-${mode.split(' ')[0]}`, origin(), model.url);
    const cli = await startInteractive(project, `question-${mode.split(' ')[0]}`, args);
    cleanups.push(cli.stop);
    await cli.keys('Add a license', 'Enter');
    const session = await waitingPrompt(cli.screen, 20_000);
    expect(session).toMatchObject({
      attention: { reason: 'WAITING', detail: 'Which license should the package use? (MIT / Apache-2.0)' },
      pendingPermission: { kind: 'QUESTION', questions: [{ question: 'Which license should the package use?' }] },
    });
    const answered = await server.gql(ANSWER_QUESTION, {
      input: { requestId: session.pendingPermission.id, answers: [{ question: 'Which license should the package use?', choices: ['Apache-2.0'] }] },
    });
    expect(answered.data.answerQuestion).toEqual({ __typename: 'MutationAnswerQuestionSuccess' });
    const result = await model.toolResult();
    expect(result.isError).toBe(false);
    expect(result.content).toContain('Apache-2.0');
    await cli.shows(/Which license should the package use\? → Apache-2.0/);
  });

  it('a question answered in the terminal first: Claude Code takes that answer, and Lookout stops offering one and refuses a late one', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'AskUserQuestion', input: { questions: [LICENSE_QUESTION] } });
    const project = await claudeCodeProject('terminal-first', origin(), model.url);
    const cli = await startInteractive(project, 'terminal-first');
    cleanups.push(cli.stop);
    await cli.keys('Add a license', 'Enter');
    const session = await waitingPrompt(cli.screen, 20_000);
    await cli.shows(/Enter to select/);
    // The dialog may be drawn a moment before it takes keys: Enter again until it has taken one.
    for (let tries = 0; ; tries++) {
      await cli.keys('Enter');
      const taken = await cli.shows(/Answered Claude's questions/, 2_000).catch((error: Error) => (tries < 5 ? null : Promise.reject(error)));
      if (taken) break;
    }
    const result = await model.toolResult();
    expect(result.content).toContain('MIT');
    // The hook that waited is let go when the tool's next event arrives.
    while (server.attention.decisionWaitCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await server.gql(ANSWER_QUESTION, {
      input: { requestId: session.pendingPermission.id, answers: [{ question: LICENSE_QUESTION.question, choices: ['Apache-2.0'] }] },
    });
    expect(late.data.answerQuestion.__typename).toBe('PermissionAlreadyAnsweredError');
  });

  it('/clear in a work tree the session left changes in: the old session shows its uncommitted work, the new one does not claim it', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'Bash', input: { command: 'true', description: 'Nothing' } });
    const project = await claudeCodeProject('clear', origin(), model.url);
    const cli = await startInteractive(project, 'clear');
    cleanups.push(cli.stop);
    const old = (await sessionsOnce((all) => all.length === 1))[0]!;
    // The session changed two files a minute ago (after it started: its work), and the user types /clear.
    const minuteAgo = new Date(Date.now() - 60_000);
    for (const name of ['parser.ts', 'parser.test.ts']) {
      await writeFile(path.join(project.repo, name), `// ${name}\n`);
      await utimes(path.join(project.repo, name), minuteAgo, minuteAgo);
    }
    await cli.keys('/clear', 'Enter');
    const after = await sessionsOnce((all) => all.length === 2 && all.some((s) => s.id === old.id && s.state === 'ENDED') && all.some((s) => s.id !== old.id && s.uncommittedFiles !== null));
    expect(after.find((s) => s.id === old.id)).toMatchObject({ state: 'ENDED', attention: { reason: 'UNCOMMITTED_WORK', label: '2 uncommitted files' } });
    expect(after.find((s) => s.id !== old.id)).toMatchObject({ state: 'IDLE', uncommittedFiles: 2, attention: null });
  });

  it('a permission prompt dismissed with Esc in the terminal: Lookout stops offering it, refuses a late answer, and the session leaves waiting', async () => {
    server = await startServer();
    model = await startScriptedModel({ name: 'Bash', input: { command: 'rm -rf build', description: 'Clean the build' } });
    const project = await claudeCodeProject('escape', origin(), model.url);
    const cli = await startInteractive(project, 'escape', ['--permission-mode', 'default']);
    cleanups.push(cli.stop);
    await cli.keys('Clean the build', 'Enter');
    const session = await waitingPrompt(cli.screen, 20_000);
    await cli.shows(/Esc to cancel/);
    await cli.keys('Escape');
    while (server.attention.decisionWaitCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'ALLOW_ONCE' } });
    expect(late.data.answerPermission.__typename).toBe('PermissionExpiredError');
    // No hook says the dialog closed; the transcript does ("[Request interrupted by user for tool use]").
    const [left] = await sessionsOnce((all) => all.length === 1 && all[0]!.attention?.reason !== 'WAITING');
    expect(left).toMatchObject({ state: 'IDLE' });
  });

  it('a plan (plan mode): approved from Lookout, Claude Code leaves plan mode and goes on', async () => {
    server = await startServer();
    // Claude Code 2.1.332 sends ExitPlanMode's input empty here (its plan lives in a plan file this script does not write).
    model = await startScriptedModel({ name: 'ExitPlanMode', input: {}, force: true });
    const project = await claudeCodeProject('interactive-plan', origin(), model.url);
    const cli = await startInteractive(project, 'plan', ['--permission-mode', 'plan']);
    cleanups.push(cli.stop);
    await cli.keys('Plan adding a license', 'Enter');
    const session = await waitingPrompt(cli.screen, 20_000);
    expect(session).toMatchObject({ attention: { reason: 'WAITING', detail: 'A plan to approve' }, pendingPermission: { kind: 'PLAN', input: NO_PLAN } });
    await cli.shows(/Exit plan mode\?/);
    expect((await server.gql(ANSWER, { input: { requestId: session.pendingPermission.id, decision: 'ALLOW_ONCE' } })).data.answerPermission).toEqual({ __typename: 'MutationAnswerPermissionSuccess' });
    // A bare allow leaves this dialog open (Claude Code 2.1.199 and later); the allow with updatedInput closes it.
    const result = await model.toolResult();
    expect(result.isError).toBe(false);
    await cli.shows(/Allowed by PermissionRequest hook/);
  });
});
