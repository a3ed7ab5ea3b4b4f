// 7. What Lookout's hooks cost the agent per tool call, and how soon an answer given from Lookout
// reaches the permission prompt's waiting hook.
//
// The cost: Claude Code waits for every hook it runs
// (except `async` ones), and PreToolUse and PostToolUse fire on every tool call. Runs the hooks
// `lookout install claude-code` writes for those two events the way Claude Code runs them (an http
// hook: one POST, answered; a command hook: `sh -c`, the payload on stdin, waited for unless async)
// against a real Lookout, and reports the time added to each tool call over running no hook. The
// configuration install wrote before (the command hook on every event) runs beside it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { codexHooks, lookoutHooks } from '../../cli/install.ts';
import { now, startChild } from '../children.ts';
import { type Row, row, type Settings } from '../report.ts';
import { graphql } from '../http.ts';
import { median, percentile } from '../stats.ts';

const CLI = fileURLToPath(new URL('../../dist/lookout.mjs', import.meta.url));

interface HookEntry {
  type: string;
  command?: string;
  url?: string;
  headers?: Record<string, string>;
  allowedEnvVars?: string[];
  async?: boolean;
}

/**
 * Runs one hook as the agent does; resolves when the agent would carry on. An async hook's process
 * goes on in the background: `background` gets its end, waited for outside the timed call.
 */
function runHook(hook: HookEntry, payload: string, env: Record<string, string>, background: Promise<unknown>[] = []): Promise<void> {
  if (hook.type === 'http') {
    const headers = Object.fromEntries(
      Object.entries(hook.headers ?? {}).map(([name, value]) => [
        name,
        value.replace(/\$\{?(\w+)\}?/g, (_m, v: string) => (hook.allowedEnvVars?.includes(v) ? (env[v] ?? '') : '')),
      ]),
    );
    return fetch(hook.url!, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload }).then(async (res) => {
      await res.text();
      if (res.status !== 204) throw new Error(`the http hook got ${res.status}`);
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', hook.command!], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.stdin.end(payload);
    const exited = new Promise((done) => child.once('exit', done));
    if (hook.async) {
      background.push(exited);
      resolve();
    } else void exited.then(() => resolve());
  });
}

/**
 * The added time of one tool call: every PreToolUse hook, the tool, every PostToolUse hook. Hooks
 * left running in the background end before the next call, as they do between an agent's tool calls.
 */
async function toolCall(pre: HookEntry[], post: HookEntry[], session: string, env: Record<string, string>): Promise<number> {
  const base = { session_id: session, cwd: process.cwd(), tool_name: 'Bash', tool_input: { command: 'npm test' }, permission_mode: 'default' };
  const background: Promise<unknown>[] = [];
  const started = now();
  for (const hook of pre) await runHook(hook, JSON.stringify({ ...base, hook_event_name: 'PreToolUse' }), env, background);
  for (const hook of post) await runHook(hook, JSON.stringify({ ...base, hook_event_name: 'PostToolUse', tool_response: { stdout: 'ok' } }), env, background);
  const took = now() - started;
  await Promise.all(background);
  return took;
}

export async function measureHookCost(file: string, home: string, settings: Settings): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [file]);
  try {
    const url = (lookout.ready.url as string).replace(/\/graphql$/, '');
    const env = { LOOKOUT_HOME: home, CLAUDE_CODE_ENTRYPOINT: 'cli' };
    const installed = lookoutHooks({ cli: [process.execPath, CLI], url, shared: false, answerFromFeed: false });
    const hooksOf = (event: string) => installed[event]!.hooks as HookEntry[];
    const codexInstalled = codexHooks({ cli: [process.execPath, CLI], url, shared: false, answerFromFeed: false });
    const codexHooksOf = (event: string) => codexInstalled[event]!.hooks as HookEntry[];
    const codexAdded: number[] = [];
    const commandOnly: HookEntry = { type: 'command', command: hooksOf('Stop')[0]!.command };
    const calls = settings.quick ? 20 : 100;
    const added: number[] = [];
    const before: number[] = [];
    const none: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const take = async (pre: HookEntry[], post: HookEntry[], n: number, name: string) => {
        const times: number[] = [];
        for (let i = 0; i < n; i++) times.push(await toolCall(pre, post, `bench-${name}-${round}`, env));
        return median(times);
      };
      none.push(await take([], [], calls, 'none'));
      added.push((await take(hooksOf('PreToolUse'), hooksOf('PostToolUse'), calls, 'installed')) - none.at(-1)!);
      codexAdded.push((await take(codexHooksOf('PreToolUse'), codexHooksOf('PostToolUse'), calls, 'codex')) - none.at(-1)!);
      // Starting node twice per call is slow: fewer calls give the same median.
      before.push((await take([commandOnly], [commandOnly], Math.max(5, calls / 10), 'command')) - none.at(-1)!);
    }
    const answers: { p50: number[]; p99: number[] } = { p50: [], p99: [] };
    for (let round = 0; round < settings.rounds; round++) {
      const times: number[] = [];
      for (let i = 0; i < (settings.quick ? 10 : 40); i++) times.push(await answerToHookOutput(url, hooksOf('PermissionRequest')[0]!, env, `bench-answer-${round}-${i}`));
      answers.p50.push(percentile(times, 50));
      answers.p99.push(percentile(times, 99));
    }
    return [
      row('answer-p50', 'Answer from Lookout to the waiting hook printing it, p50', 'ms', answers.p50),
      row('answer-p99', 'Answer from Lookout to the waiting hook printing it, p99', 'ms', answers.p99),
      row('hook-cost', 'Time a tool call waits for the installed hooks (PreToolUse + PostToolUse), over no hook', 'ms', added, {
        baseline: ['command hook on both (before)', before],
        ratio: ['installed ÷ command hook', added.map((v, i) => v / before[i]!)],
        target: { op: '<=', value: 20, of: 'lookout' },
      }),
      row('codex-hook-cost', 'Time a Codex tool call waits for the installed hooks (async commands), over no hook', 'ms', codexAdded, {
        baseline: ['command hook on both, waited for', before],
        ratio: ['installed ÷ waited command hook', codexAdded.map((v, i) => v / before[i]!)],
        target: { op: '<=', value: 20, of: 'lookout' },
      }),
    ];
  } finally {
    await lookout.stop();
  }
}

const PENDING = `query($id: ID!) { session(id: $id) { pendingPermission { id } } }`;
const ANSWER = `mutation($input: AnswerPermissionInput!) { answerPermission(input: $input) { __typename } }`;

/**
 * One permission prompt: the installed hook runs as Claude Code runs it and waits; once its prompt is
 * pending, the answer is sent (as the page sends it) and timed until the hook has printed the decision.
 */
async function answerToHookOutput(url: string, hook: HookEntry, env: Record<string, string>, session: string): Promise<number> {
  const graphqlUrl = `${url}/graphql`;
  const child = spawn('/bin/sh', ['-c', hook.command!], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const printed = new Promise<number>((resolve, reject) => {
    child.stdout.once('data', () => resolve(now()));
    child.once('exit', () => reject(new Error('the hook exited without printing a decision')));
  });
  child.stdin.end(JSON.stringify({ session_id: session, cwd: process.cwd(), hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm publish' } }));
  let requestId: string | undefined;
  while (!requestId) {
    requestId = (await graphql(graphqlUrl, PENDING, { id: session })).session?.pendingPermission?.id;
    if (!requestId) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const started = now();
  const answered = await graphql(graphqlUrl, ANSWER, { input: { requestId, decision: 'ALLOW_ONCE', via: 'FEED' } });
  if (answered.answerPermission.__typename !== 'MutationAnswerPermissionSuccess') throw new Error(`the answer was refused: ${JSON.stringify(answered)}`);
  return (await printed) - started;
}
