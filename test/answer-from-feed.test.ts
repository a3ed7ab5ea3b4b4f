// Answering a Claude Code permission prompt from Lookout: a real `lookout hook claude-code` process
// blocks on a PermissionRequest, as Claude Code runs it, while the answer comes from the page, the
// CLI or the API; the hook prints exactly Claude Code's decision JSON, or nothing.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.ts';
import { makeRepo, runCli } from './cli-helpers.ts';
import { decision, runWaitingHook, type WaitingHook } from './waiting-hook.ts';
import deployForm from './fixtures/deploy-form.json' with { type: 'json' };
import { CHECKS_QUESTION, LICENSE_QUESTION } from './fixtures/questions.ts';
import { startServer, type TestServer } from './helpers.ts';

const browser = useBrowser(['--host-resolver-rules=MAP evil.example 127.0.0.1, MAP rebound.example 127.0.0.1']);
let server: TestServer;
const hooks: ChildProcess[] = [];
afterEach(async () => {
  for (const hook of hooks.splice(0)) hook.kill('SIGKILL');
  await server?.stop();
});

const origin = () => server.url.replace(/\/graphql$/, '');
const PENDING = `query($id: ID!) { session(id: $id) { state pendingPermission { id kind tool input alwaysAllowRule fromSubagent } pendingPermissions { id } attention { reason detail } } }`;
const ANSWER = `mutation($input: AnswerPermissionInput!) {
  answerPermission(input: $input) { __typename ... on Error { message } ... on MutationAnswerPermissionSuccess { data { id } } }
}`;
const EVENTS = `query($id: ID!) { session(id: $id) { events(last: 5) { edges { node { kind input } } } } }`;

const SUGGESTION = { type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm publish:*' }], behavior: 'allow', destination: 'localSettings' };

/** Runs the installed command hook for one PermissionRequest (or `hook`'s event), as Claude Code does, and waits until its prompt is recorded. */
async function askPermission(sessionId: string, hook: Record<string, unknown>, env: Record<string, string> = {}, args: string[] = []): Promise<WaitingHook> {
  const running = await runWaitingHook(server, sessionId, hook, env, args);
  hooks.push(running.child);
  return running;
}

const bash = (command: string) => ({ tool_name: 'Bash', tool_input: { command, description: 'Publish' }, permission_suggestions: [SUGGESTION] });
const answer = (input: Record<string, unknown>) => server.gql(ANSWER, { input });

describe('a permission prompt answered from the API and the CLI', () => {
  it('shows the whole command and the rule always-allow keeps; Allow once reaches the hook as exactly the decision JSON', async () => {
    server = await startServer();
    const command = `npm publish --access public && echo ${'x'.repeat(300)} && rm -rf ./dist-that-hides-at-the-end`;
    const hook = await askPermission('p1', bash(command));
    const { data } = await server.gql(PENDING, { id: 'p1' });
    expect(data.session.pendingPermission).toEqual({
      id: hook.requestId,
      kind: 'PERMISSION',
      tool: 'Bash',
      input: command,
      alwaysAllowRule: 'Bash(npm publish:*), kept in .claude/settings.local.json',
      fromSubagent: false,
    });
    expect(await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE', via: 'FEED' })).toEqual({ data: { answerPermission: { __typename: 'MutationAnswerPermissionSuccess', data: { id: 'p1' } } } });
    expect(await hook.done).toEqual({ code: 0, stdout: decision({ behavior: 'allow' }), stderr: '' });
    expect((await server.gql(PENDING, { id: 'p1' })).data.session).toMatchObject({ state: 'WORKING', pendingPermission: null, attention: null });
    // Who answered, what and when, in the session's log.
    const events = (await server.gql(EVENTS, { id: 'p1' })).data.session.events.edges.map((e: any) => e.node);
    expect(events.find((e: any) => e.kind === 'ANSWER')).toMatchObject({ input: expect.stringContaining('"decision":"ALLOW_ONCE"') });
    expect(events.find((e: any) => e.kind === 'ANSWER').input).toContain('"by":"FEED"');
  });

  it('deny with a message, and always allow with the rule Claude Code offered, from the CLI', async () => {
    server = await startServer();
    const denied = await askPermission('p2', bash('git push --force'));
    const env = { LOOKOUT_URL: origin() };
    const ls = await runCli(['ls'], env);
    expect(ls.stdout).toContain(`answer: lookout allow ${denied.requestId}`);
    expect(await runCli(['deny', denied.requestId, '--message', 'Never force-push main'], env)).toMatchObject({ code: 0, stdout: `Denied ${denied.requestId}: Never force-push main.\n` });
    expect((await denied.done).stdout).toBe(decision({ behavior: 'deny', message: 'Never force-push main' }));

    const always = await askPermission('p3', bash('npm publish'));
    expect(await runCli(['allow', always.requestId, '--always'], env)).toMatchObject({ code: 0 });
    expect((await always.done).stdout).toBe(decision({ behavior: 'allow', updatedPermissions: [SUGGESTION] }));
  });

  it('a plan is approved (reviewing each edit, or accepting edits) or sent back with feedback; the allow hands the plan back as updatedInput', async () => {
    server = await startServer();
    const plan = { tool_name: 'ExitPlanMode', tool_input: { plan: '## Move to PostgreSQL\n1. Add the adapter' } };
    const approved = await askPermission('plan1', plan);
    expect((await server.gql(PENDING, { id: 'plan1' })).data.session.pendingPermission).toMatchObject({
      kind: 'PLAN',
      input: '## Move to PostgreSQL\n1. Add the adapter',
      alwaysAllowRule: 'switch to acceptEdits mode, for this session only',
    });
    await answer({ requestId: approved.requestId, decision: 'ALLOW_ONCE' });
    // Hooks reference, PermissionRequest decision control: `updatedInput` "modifies the tool's input
    // before execution"; Claude Code 2.1.199 and later ignore a plan's allow without it (the agent
    // suite shows it: test/agents).
    expect((await approved.done).stdout).toBe(decision({ behavior: 'allow', updatedInput: plan.tool_input }));

    const accepting = await askPermission('plan3', plan);
    await answer({ requestId: accepting.requestId, decision: 'ALLOW_ALWAYS' });
    expect((await accepting.done).stdout).toBe(
      decision({ behavior: 'allow', updatedInput: plan.tool_input, updatedPermissions: [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }] }),
    );

    const sentBack = await askPermission('plan2', plan);
    await answer({ requestId: sentBack.requestId, decision: 'DENY', message: 'Keep SQLite for tests' });
    expect((await sentBack.done).stdout).toBe(decision({ behavior: 'deny', message: 'Keep SQLite for tests' }));
  });

  it('two prompts open at once (parallel tool calls): each is answered on its own, in either order, and the session waits until both are', async () => {
    server = await startServer();
    const publish = await askPermission('two', bash('npm publish'));
    const tag = await askPermission('two', bash('git tag v1.0.0'));
    expect((await server.gql(PENDING, { id: 'two' })).data.session.pendingPermissions).toEqual([{ id: publish.requestId }, { id: tag.requestId }]);
    // The second first: the first still waits, and the session with it.
    await answer({ requestId: tag.requestId, decision: 'DENY', message: 'Tag after the release notes' });
    expect((await tag.done).stdout).toBe(decision({ behavior: 'deny', message: 'Tag after the release notes' }));
    expect((await server.gql(PENDING, { id: 'two' })).data.session).toMatchObject({
      state: 'WAITING',
      pendingPermissions: [{ id: publish.requestId }],
      attention: { reason: 'WAITING', detail: 'Bash: npm publish' },
    });
    await answer({ requestId: publish.requestId, decision: 'ALLOW_ONCE' });
    expect((await publish.done).stdout).toBe(decision({ behavior: 'allow' }));
    expect((await server.gql(PENDING, { id: 'two' })).data.session).toMatchObject({ state: 'WORKING', pendingPermissions: [] });
  });

  it('the first answer wins: two answers at once, one gets PermissionAlreadyAnsweredError; always-allow with no rule offered is refused', async () => {
    server = await startServer();
    const hook = await askPermission('race', { tool_name: 'Bash', tool_input: { command: 'make deploy' } });
    const refusedAlways = await answer({ requestId: hook.requestId, decision: 'ALLOW_ALWAYS' });
    expect(refusedAlways.data.answerPermission).toMatchObject({ __typename: 'CannotAlwaysAllowError' });
    const [one, two] = await Promise.all([
      answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' }),
      answer({ requestId: hook.requestId, decision: 'DENY', message: 'No' }),
    ]);
    const kinds = [one.data.answerPermission.__typename, two.data.answerPermission.__typename].sort();
    expect(kinds).toEqual(['MutationAnswerPermissionSuccess', 'PermissionAlreadyAnsweredError']);
    const won = one.data.answerPermission.__typename === 'MutationAnswerPermissionSuccess' ? { behavior: 'allow' } : { behavior: 'deny', message: 'No' };
    expect((await hook.done).stdout).toBe(decision(won));
  });

  it('answered in the terminal: the next event of the tool ends the wait, the hook prints nothing, a late answer is refused', async () => {
    server = await startServer();
    const hook = await askPermission('term', bash('ls -la'));
    const res = await fetch(`${origin()}/hooks/claude-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'term', hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'ls -la' } }),
    });
    expect(res.status).toBe(204);
    expect(await hook.done).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await server.gql(PENDING, { id: 'term' })).data.session.pendingPermission).toBeNull();
    expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({
      __typename: 'PermissionAlreadyAnsweredError',
      message: expect.stringMatching(/in the terminal/),
    });
  });

  it('the wait times out: no output, exit 0, and an answer after it is PermissionExpiredError', async () => {
    server = await startServer({ LOOKOUT_DECISION_TIMEOUT_SECONDS: '1' });
    const hook = await askPermission('slow', bash('npm test'));
    expect(await hook.done).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'PermissionExpiredError' });
    // The prompt is still the terminal's: the session still waits.
    expect((await server.gql(PENDING, { id: 'slow' })).data.session).toMatchObject({ state: 'WAITING', pendingPermission: null });
  });

  it('a prompt spooled while Lookout was down is shown when it arrives, but offers no answer: no hook waits for one any more', async () => {
    const probe = await startServer();
    const port = probe.port;
    await probe.stop();
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-home-'));
    const env = { LOOKOUT_URL: `http://127.0.0.1:${port}`, LOOKOUT_HOME: home, CLAUDE_CODE_ENTRYPOINT: 'cli' };
    const repo = await makeRepo('spooled-prompt');
    const down = await runCli(['hook', 'claude-code'], env, JSON.stringify({ session_id: 'late', cwd: repo, hook_event_name: 'PermissionRequest', ...bash('npm publish') }));
    expect(down).toMatchObject({ code: 0, stdout: '' });
    server = await startServer({ PORT: String(port) });
    await runCli(['hook', 'claude-code'], env, JSON.stringify({ session_id: 'other', cwd: repo, hook_event_name: 'SessionStart' }));
    expect((await server.gql(PENDING, { id: 'late' })).data.session).toMatchObject({ state: 'WAITING', pendingPermission: null, attention: { reason: 'WAITING' } });
  });

  it('Lookout restarting while the hook waits: the hook ends with no output, and after the restart the prompt offers no answer and an answer is refused, none logged', async () => {
    server = await startServer();
    const hook = await askPermission('down', bash('npm test'));
    const { database, port } = server;
    await server.stop();
    expect(await hook.done).toEqual({ code: 0, stdout: '', stderr: '' });
    server = await startServer({ PORT: String(port) }, { database });
    expect((await server.gql(PENDING, { id: 'down' })).data.session).toMatchObject({ state: 'WAITING', pendingPermission: null });
    expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'PermissionExpiredError' });
    const kinds = (await server.gql(EVENTS, { id: 'down' })).data.session.events.edges.map((e: any) => e.node.kind);
    expect(kinds).not.toContain('ANSWER');
    expect(kinds.at(-1)).toBe('EXPIRE');
  });

  it('Lookout stopped (or killed) after a prompt was recorded but before its hook came to wait: after the restart the prompt offers no answer', async () => {
    server = await startServer();
    const origin = server.url.replace(/\/graphql$/, '');
    // The prompt as its hook reports it, the hook not yet waiting for an answer.
    const reported = await fetch(`${origin}/hooks/claude-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'early', cwd: '/work/shop', hook_event_name: 'PermissionRequest', ...bash('npm test'), lookout: { eventId: 'ask-early' } }),
    });
    expect(reported.status).toBe(204);
    expect((await server.gql(PENDING, { id: 'early' })).data.session.pendingPermission).toMatchObject({ id: 'early:ask-early' });
    const { database, port } = server;
    await server.stop();
    server = await startServer({ PORT: String(port) }, { database });
    expect((await server.gql(PENDING, { id: 'early' })).data.session).toMatchObject({ state: 'WAITING', pendingPermission: null, attention: { reason: 'WAITING' } });
    expect((await answer({ requestId: 'early:ask-early', decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'PermissionExpiredError' });
  });

  it('a hook that takes the answer but never says it arrived (frozen): the answer is withdrawn and refused as not delivered', async () => {
    server = await startServer();
    const hook = await askPermission('frozen', bash('npm test'));
    const child = hooks.at(-1)!;
    child.kill('SIGSTOP');
    try {
      expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'AnswerNotDeliveredError' });
      expect((await server.gql(PENDING, { id: 'frozen' })).data.session.pendingPermission).toBeNull();
      const kinds = (await server.gql(EVENTS, { id: 'frozen' })).data.session.events.edges.map((e: any) => e.node);
      expect(kinds.at(-1)).toMatchObject({ kind: 'EXPIRE', input: expect.stringContaining('"undelivered":true') });
    } finally {
      child.kill('SIGCONT');
    }
  });
});

const QUESTION = { tool_name: 'AskUserQuestion', tool_input: { questions: [LICENSE_QUESTION, CHECKS_QUESTION] } };
const QUESTIONS = `query($id: ID!) { session(id: $id) { pendingPermission { id kind input questions { question header multiSelect options { label description } } } } }`;
const ANSWER_QUESTION = `mutation($input: AnswerQuestionInput!) {
  answerQuestion(input: $input) { __typename ... on Error { message } ... on MutationAnswerQuestionSuccess { data { id state pendingPermission { id } } } }
}`;

describe('a question answered from the API and the CLI', () => {
  it('shows each question with its options; the answers reach the hook as an allow whose updatedInput is the questions plus `answers`', async () => {
    server = await startServer();
    const hook = await askPermission('q1', QUESTION);
    const { pendingPermission } = (await server.gql(QUESTIONS, { id: 'q1' })).data.session;
    expect(pendingPermission).toMatchObject({ id: hook.requestId, kind: 'QUESTION', questions: QUESTION.tool_input.questions });
    expect(pendingPermission.input).toContain('Which license should the package use?\n- MIT: Short and permissive');
    // A wrong answer changes nothing: an option it does not offer, two for a single choice, a question left out.
    for (const answers of [
      [{ question: 'Which license should the package use?', choices: ['GPL'] }, { question: 'Which checks should CI run?', choices: ['Lint'] }],
      [{ question: 'Which license should the package use?', choices: ['MIT', 'Apache-2.0'] }, { question: 'Which checks should CI run?', choices: ['Lint'] }],
      [{ question: 'Which license should the package use?', choices: ['MIT'] }],
    ]) {
      expect((await server.gql(ANSWER_QUESTION, { input: { requestId: hook.requestId, answers } })).data.answerQuestion).toMatchObject({ __typename: 'InvalidAnswerError' });
    }
    expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'InvalidAnswerError' });
    const answered = await server.gql(ANSWER_QUESTION, {
      input: {
        requestId: hook.requestId,
        via: 'FEED',
        answers: [
          { question: 'Which license should the package use?', choices: ['Apache-2.0'] },
          { question: 'Which checks should CI run?', choices: ['Browser tests', 'Lint'], other: 'a spelling check' },
        ],
      },
    });
    expect(answered.data.answerQuestion).toEqual({ __typename: 'MutationAnswerQuestionSuccess', data: { id: 'q1', state: 'WORKING', pendingPermission: null } });
    // Hooks reference, AskUserQuestion: allow with `updatedInput` holding the original `questions`
    // and `answers` mapping each question's text to the chosen label (several: joined with commas).
    expect(await hook.done).toEqual({
      code: 0,
      stdout: decision({
        behavior: 'allow',
        updatedInput: {
          ...QUESTION.tool_input,
          answers: { 'Which license should the package use?': 'Apache-2.0', 'Which checks should CI run?': 'Lint, Browser tests, a spelling check' },
        },
      }),
      stderr: '',
    });
  });

  it('from the CLI: `lookout answer ID` with one choice per question, words of your own with --other', async () => {
    server = await startServer();
    const hook = await askPermission('q2', { tool_name: 'AskUserQuestion', tool_input: { questions: [QUESTION.tool_input.questions[0]!] } });
    const env = { LOOKOUT_URL: origin() };
    const ls = await runCli(['ls'], env);
    expect(ls.stdout).toContain(`answer: lookout answer ${hook.requestId}`);
    expect(await runCli(['answer', hook.requestId, 'GPL'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('"GPL" is not one of the options') });
    expect(await runCli(['answer', hook.requestId, '--other', 'Dual MIT and Apache-2.0'], env)).toMatchObject({ code: 0, stdout: `Answered ${hook.requestId}.\n` });
    expect(JSON.parse((await hook.done).stdout).hookSpecificOutput.decision.updatedInput.answers).toEqual({ 'Which license should the package use?': 'Dual MIT and Apache-2.0' });
  });
});

// Hooks reference, Elicitation input: `mcp_server_name`, `message`, `mode` ("form" or "url"), and
// `requested_schema` for a form (as Claude Code 2.1.332 sent it in the agent suite).
const DEPLOY_FORM = { hook_event_name: 'Elicitation', mcp_server_name: 'deployer', mode: 'form', message: deployForm.message, requested_schema: deployForm.requestedSchema };
const FORM = `query($id: ID!) { session(id: $id) { state pendingPermissions { id kind tool input elicitation { server message fields { name title type required options { value label } minimum maximum } } } attention { reason detail } } }`;
const ANSWER_FORM = `mutation($input: AnswerElicitationInput!) {
  answerElicitation(input: $input) { __typename ... on Error { message } ... on MutationAnswerElicitationSuccess { data { id state } } }
}`;
const elicitationOutput = (body: Record<string, unknown>) => JSON.stringify({ hookSpecificOutput: { hookEventName: 'Elicitation', ...body } });

describe("an MCP server's form (elicitation)", () => {
  it('with --answer-from-feed the hook waits: the form is shown field by field, a wrong answer changes nothing, the values reach the hook as exactly the Elicitation output', async () => {
    server = await startServer();
    const hook = await askPermission('form1', DEPLOY_FORM, {}, ['--answer-from-feed']);
    const { session } = (await server.gql(FORM, { id: 'form1' })).data;
    expect(session).toMatchObject({ state: 'WAITING', attention: { reason: 'WAITING', detail: 'Where should the service be deployed?' } });
    expect(session.pendingPermissions).toEqual([
      {
        id: hook.requestId,
        kind: 'ELICITATION',
        tool: 'deployer',
        input: 'Where should the service be deployed?',
        elicitation: {
          server: 'deployer',
          message: 'Where should the service be deployed?',
          fields: [
            { name: 'environment', title: 'Environment', type: 'CHOICE', required: true, options: [{ value: 'staging', label: 'staging' }, { value: 'production', label: 'production' }], minimum: null, maximum: null },
            { name: 'replicas', title: 'Replicas', type: 'INTEGER', required: false, options: [], minimum: 1, maximum: 10 },
            { name: 'notify', title: 'Tell the team', type: 'BOOLEAN', required: false, options: [], minimum: null, maximum: null },
          ],
        },
      },
    ]);
    const logged = async () => (await server.gql(EVENTS, { id: 'form1' })).data.session.events.edges.length;
    const before = await logged();
    for (const [values, problem] of [
      [[{ field: 'replicas', number: 2 }], '"Environment" is required.'],
      [[{ field: 'environment', text: 'prod' }], '"Environment" takes one of staging, production.'],
      [[{ field: 'environment', text: 'staging' }, { field: 'replicas', number: 11 }], '"Replicas" takes at most 10.'],
    ] as const) {
      expect((await server.gql(ANSWER_FORM, { input: { requestId: hook.requestId, action: 'ACCEPT', values } })).data.answerElicitation).toEqual({
        __typename: 'InvalidAnswerError',
        message: `That does not answer request "${hook.requestId}": ${problem}`,
      });
    }
    expect((await server.gql(ANSWER_FORM, { input: { requestId: hook.requestId, action: 'DECLINE', values: [{ field: 'notify', boolean: true }] } })).data.answerElicitation).toMatchObject({ __typename: 'InvalidAnswerError' });
    expect((await answer({ requestId: hook.requestId, decision: 'ALLOW_ONCE' })).data.answerPermission).toMatchObject({ __typename: 'InvalidAnswerError' });
    expect(await logged()).toBe(before);

    const values = [{ field: 'environment', text: 'production' }, { field: 'replicas', number: 3 }, { field: 'notify', boolean: true }];
    expect((await server.gql(ANSWER_FORM, { input: { requestId: hook.requestId, action: 'ACCEPT', values, via: 'FEED' } })).data.answerElicitation).toEqual({
      __typename: 'MutationAnswerElicitationSuccess',
      data: { id: 'form1', state: 'WORKING' },
    });
    // Hooks reference, Elicitation output: `hookSpecificOutput` with `action` ("accept", "decline"
    // or "cancel") and `content`, "the form field values to submit, only used when action is accept".
    expect(await hook.done).toEqual({ code: 0, stdout: elicitationOutput({ action: 'accept', content: { environment: 'production', replicas: 3, notify: true } }), stderr: '' });
    const kinds = (await server.gql(EVENTS, { id: 'form1' })).data.session.events.edges.map((e: any) => e.node.kind);
    expect(kinds.slice(-2)).toEqual(['ANSWER', 'DELIVER']);
  });

  it('declined or cancelled, from the CLI: the hook prints that action alone', async () => {
    server = await startServer();
    const env = { LOOKOUT_URL: origin() };
    const declined = await askPermission('form2', DEPLOY_FORM, {}, ['--answer-from-feed']);
    const ls = await runCli(['ls'], env);
    expect(ls.stdout).toContain('environment: one of staging, production (required)');
    expect(ls.stdout).toContain(`answer: lookout answer ${declined.requestId} FIELD=VALUE... | --decline | --cancel`);
    expect(await runCli(['answer', declined.requestId, '--decline'], env)).toMatchObject({ code: 0, stdout: `Declined ${declined.requestId}.\n` });
    expect((await declined.done).stdout).toBe(elicitationOutput({ action: 'decline' }));

    const sent = await askPermission('form3', DEPLOY_FORM, {}, ['--answer-from-feed']);
    expect(await runCli(['answer', sent.requestId, 'replicas=two'], env)).toMatchObject({ code: 2, stderr: 'lookout: replicas takes a number, not "two".\n' });
    expect(await runCli(['answer', sent.requestId, 'replicas=2'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('"Environment" is required.') });
    expect(await runCli(['answer', sent.requestId, 'environment=staging', 'notify=no'], env)).toMatchObject({ code: 0, stdout: `Sent ${sent.requestId}.\n` });
    expect((await sent.done).stdout).toBe(elicitationOutput({ action: 'accept', content: { environment: 'staging', notify: false } }));

    const cancelled = await askPermission('form4', DEPLOY_FORM, {}, ['--answer-from-feed']);
    await server.gql(ANSWER_FORM, { input: { requestId: cancelled.requestId, action: 'CANCEL' } });
    expect((await cancelled.done).stdout).toBe(elicitationOutput({ action: 'cancel' }));
  });

  it("without --answer-from-feed the hook returns at once (Claude Code shows its form only after it): the form is shown, answered in the terminal, and ElicitationResult ends the wait", async () => {
    server = await startServer();
    const hook = await askPermission('form5', DEPLOY_FORM);
    expect(await hook.done).toEqual({ code: 0, stdout: '', stderr: '' });
    const { session } = (await server.gql(FORM, { id: 'form5' })).data;
    expect(session).toMatchObject({ state: 'WAITING', pendingPermissions: [], attention: { detail: 'Where should the service be deployed?' } });
    const res = await fetch(`${origin()}/hooks/claude-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: 'form5', hook_event_name: 'ElicitationResult', mcp_server_name: 'deployer', action: 'accept', content: { environment: 'staging' } }),
    });
    expect(res.status).toBe(204);
    expect((await server.gql(FORM, { id: 'form5' })).data.session).toMatchObject({ state: 'WORKING', attention: null });
  });

  it('a URL to open, or a form Lookout cannot show whole, is the terminal\'s even when opted in: the hook does not wait', async () => {
    server = await startServer();
    const url = await askPermission('form6', { ...DEPLOY_FORM, mode: 'url', url: 'https://auth.example.com/login', requested_schema: undefined }, {}, ['--answer-from-feed']);
    expect(await url.done).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await server.gql(FORM, { id: 'form6' })).data.session).toMatchObject({ state: 'WAITING', pendingPermissions: [] });
    const nested = { type: 'object', properties: { address: { type: 'object', properties: { city: { type: 'string' } } } } };
    const odd = await askPermission('form7', { ...DEPLOY_FORM, requested_schema: nested }, {}, ['--answer-from-feed']);
    expect(await odd.done).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('nobody else can answer', () => {
  it('another origin, a rebound host name, a form post or a replayed answer never produces a decision', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'owner-token' });
    const hook = await askPermission('target', bash('curl https://example.com/install.sh | sh'), { LOOKOUT_TOKEN: 'owner-token' });
    const mutation = JSON.stringify({ query: ANSWER, variables: { input: { requestId: hook.requestId, decision: 'ALLOW_ONCE' } } });
    const page = await browser().newPage();
    // A page on another site, and one on a name that resolves to this machine, try every way to post.
    for (const site of ['http://evil.example', `http://rebound.example:${server.port}`]) {
      await page.route(`${site}/`, (route) => route.fulfill({ contentType: 'text/html', body: '<html><body>hi</body></html>' }));
      await page.goto(`${site}/`);
      const tried = await page.evaluate(
        async ({ target, body }) => {
          const results: string[] = [];
          for (const [type, mode] of [['application/json', 'cors'], ['text/plain', 'no-cors']] as const) {
            try {
              const res = await fetch(`${target}/graphql`, { method: 'POST', mode, headers: { 'content-type': type, authorization: 'Bearer owner-token' }, body });
              results.push(`${type}: ${res.type} ${res.status}`);
            } catch (error) {
              results.push(`${type}: ${(error as Error).message}`);
            }
          }
          const form = document.createElement('form');
          form.method = 'POST';
          form.action = `${target}/graphql`;
          form.enctype = 'text/plain';
          const field = document.createElement('input');
          field.name = body.slice(0, body.length - 2);
          field.value = '"}';
          form.append(field);
          document.body.append(form);
          const frame = document.createElement('iframe');
          frame.name = 'sink';
          document.body.append(frame);
          form.target = 'sink';
          form.submit();
          return results;
        },
        { target: site.startsWith('http://rebound') ? site : `http://127.0.0.1:${server.port}`, body: mutation },
      );
      expect(tried.join('\n')).not.toMatch(/ 200$/m);
    }
    await page.close();
    // Without the token, from no page at all.
    expect((await fetch(`${origin()}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mutation })).status).toBe(401);
    // The owner answers; replaying the very same answer changes nothing.
    const owner = { 'content-type': 'application/json', authorization: 'Bearer owner-token' };
    const first = await (await fetch(`${origin()}/graphql`, { method: 'POST', headers: owner, body: mutation })).json();
    expect(first.data.answerPermission.__typename).toBe('MutationAnswerPermissionSuccess');
    const replayed = await (await fetch(`${origin()}/graphql`, { method: 'POST', headers: owner, body: mutation })).json();
    expect(replayed.data.answerPermission.__typename).toBe('PermissionAlreadyAnsweredError');
    // The hook got exactly one decision: the owner's.
    expect((await hook.done).stdout).toBe(decision({ behavior: 'allow' }));
  });
});

describe('the feed page', () => {
  it('shows the whole command, and Allow once / Deny with a message reach the waiting hook', async () => {
    server = await startServer();
    const long = `npm publish --access public --tag next ${'--flag '.repeat(40)}&& echo the-very-end`;
    const allowed = await askPermission('page1', bash(long));
    const page = await browser().newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${origin()}/`);
    const item = page.getByRole('listitem').filter({ has: page.locator(`[data-request-id="${allowed.requestId}"]`) });
    await item.getByText('the-very-end').waitFor();
    expect(await item.locator('pre.input').innerText()).toBe(long);
    expect(await item.innerText()).toContain('Always allow: Bash(npm publish:*), kept in .claude/settings.local.json');
    await item.getByRole('button', { name: 'Allow once' }).click();
    expect((await allowed.done).stdout).toBe(decision({ behavior: 'allow' }));
    await item.waitFor({ state: 'detached' });

    const denied = await askPermission('page2', bash('rm -rf node_modules'));
    const form = page.locator(`[data-request-id="${denied.requestId}"]`);
    await form.waitFor();
    // Keyboard: select the item (j), then d to write why, Enter to deny.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.keyboard.press('d');
    await page.keyboard.type('Use npm ci instead');
    await page.keyboard.press('Enter');
    expect((await denied.done).stdout).toBe(decision({ behavior: 'deny', message: 'Use npm ci instead' }));
    await page.close();
  });

  it('a question: one option picked, several ticked with words of your own, sent once every question has an answer', async () => {
    server = await startServer();
    const hook = await askPermission('page-q', QUESTION);
    const page = await browser().newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${origin()}/`);
    const form = page.getByRole('form', { name: 'Answer the question' });
    await form.waitFor();
    expect(await form.innerText()).toContain('Permissive, with a patent grant');
    const send = form.getByRole('button', { name: 'Send answer' });
    expect(await send.isDisabled()).toBe(true);
    await form.getByRole('radio', { name: /Apache-2.0/ }).check();
    expect(await send.isDisabled()).toBe(true);
    await form.getByRole('checkbox', { name: /Browser tests/ }).check();
    await form.getByRole('checkbox', { name: /Lint/ }).check();
    await form.getByRole('textbox', { name: 'Other answer to: Which checks should CI run?' }).fill('a spelling check');
    await send.click();
    expect(JSON.parse((await hook.done).stdout).hookSpecificOutput.decision).toEqual({
      behavior: 'allow',
      updatedInput: {
        ...QUESTION.tool_input,
        answers: { 'Which license should the package use?': 'Apache-2.0', 'Which checks should CI run?': 'Lint, Browser tests, a spelling check' },
      },
    });
    await form.waitFor({ state: 'detached' });

    // A plan: approve and accept edits.
    const plan = { tool_name: 'ExitPlanMode', tool_input: { plan: '# Ship it\n1. Tag the release' } };
    const planned = await askPermission('page-plan', plan);
    const review = page.getByRole('form', { name: 'Review the plan' });
    await review.getByText('Tag the release').waitFor();
    await review.getByRole('button', { name: 'Approve, accept edits' }).click();
    expect(JSON.parse((await planned.done).stdout).hookSpecificOutput.decision).toEqual({
      behavior: 'allow',
      updatedInput: plan.tool_input,
      updatedPermissions: [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }],
    });
    await page.close();
  });

  it("an MCP server's form: filled in field by field, a value the server refuses is said on the item, then the values reach the hook; Decline", async () => {
    server = await startServer();
    const hook = await askPermission('page-form', DEPLOY_FORM, {}, ['--answer-from-feed']);
    const page = await browser().newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${origin()}/`);
    const form = page.getByRole('form', { name: 'Answer deployer' });
    await form.waitFor();
    expect(await form.innerText()).toContain('Where should the service be deployed?');
    // The page leaves the checking to the server, which says what is missing.
    await form.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('alert').filter({ hasText: '"Environment" is required.' }).waitFor();
    await form.getByRole('radio', { name: 'production' }).check();
    await form.getByRole('spinbutton', { name: 'Replicas' }).fill('4');
    await form.getByRole('checkbox', { name: 'Tell the team' }).check();
    await form.getByRole('button', { name: 'Submit' }).click();
    expect((await hook.done).stdout).toBe(elicitationOutput({ action: 'accept', content: { environment: 'production', replicas: 4, notify: true } }));
    await form.waitFor({ state: 'detached' });

    const declined = await askPermission('page-form2', DEPLOY_FORM, {}, ['--answer-from-feed']);
    await page.getByRole('form', { name: 'Answer deployer' }).getByRole('button', { name: 'Decline' }).click();
    expect((await declined.done).stdout).toBe(elicitationOutput({ action: 'decline' }));
    await page.close();
  });
});
