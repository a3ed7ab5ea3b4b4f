// The lookout command: parses the command line and runs the command (the feed, answers and tokens
// have files of their own: feed.ts, answer.ts, tokens.ts); `lookout hook` starts here too. Over 400
// lines: one table of options and one dispatch for every command, so that each flag is read one way.
import { execFile, spawn } from 'node:child_process';
import { readFile, realpath, stat } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FLUSH_BATCH, FLUSH_TIMEOUT_MS, HOOK_PATHS, type HookAgentName, runHook, sendEvents, type Server } from './hook.ts';
import {
  CODEX_HOOKS_SINCE,
  codexHooksFile,
  installClaudeCode,
  installCodex,
  keepOutOfGit,
  settingsFile,
  uninstall,
  unwireCodexNotify,
  wireCodexNotify,
} from './install.ts';
import { type CliConfig, configFile, readCliConfig, rememberServer } from './config.ts';
import { doctor, doctorReport } from './doctor.ts';
import { COMMAND_NAMES, commandHelp, usage } from './help.ts';
import { lookoutVersion } from '../shared/paths.ts';
import { Spool } from './spool.ts';
import { answerCommand, answerPrompt } from './answer.ts';
import { list, listHidden, watch } from './feed.ts';
import { CliError, ForbiddenError, graphql } from './graphql.ts';
import { tokenCommand } from './tokens.ts';
import { oneOf, UsageError } from './usage.ts';

const SPEAKERS = ['user', 'assistant'];
const STATES = ['working', 'waiting', 'idle'];
const REASONS = ['permission', 'question', 'review', 'blocked', 'error'];
const CLOSERS = ['user', 'auto', 'abandoned'];

/** The `event` flag for an input field of the API. */
const FLAGS: Record<string, string> = { sessionId: 'session', waitReason: 'reason', waitDetail: 'detail', uncommittedFiles: 'uncommitted', closedBy: 'close' };

async function report(server: Server, v: Record<string, string | boolean | undefined>) {
  const str = (key: string) => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
  const sessionId = str('session');
  if (!sessionId) throw new UsageError('event needs --session ID.');
  const speaker = oneOf('speaker', str('speaker'), SPEAKERS);
  const state = oneOf('state', str('state'), STATES);
  const reason = oneOf('reason', str('reason'), REASONS);
  const close = oneOf('close', str('close'), CLOSERS);
  const uncommitted = str('uncommitted');
  if (uncommitted !== undefined && uncommitted !== 'unknown' && !/^\d{1,7}$/.test(uncommitted)) {
    throw new UsageError(`--uncommitted must be a number of files (0 or more) or "unknown" (got "${uncommitted}").`);
  }
  if (reason && state !== 'waiting' && !(state === 'idle' && reason === 'error')) {
    throw new UsageError('--reason goes with --state waiting (or --state idle --reason error).');
  }
  if (state === 'waiting' && !reason) throw new UsageError(`--state waiting needs --reason (${REASONS.join(', ')}).`);

  // Each call, with what it records in the user's words.
  const calls: { field: string; inputType: string; input: Record<string, unknown>; words: string }[] = [];
  const details = Object.fromEntries(['title', 'project', 'cwd', 'branch', 'host', 'link', 'agent'].flatMap((k) => (str(k) ? [[k, str(k)]] : [])));
  if (speaker || Object.keys(details).length) {
    const said = (speaker ?? 'user') === 'user' ? 'you spoke last' : 'the assistant spoke last';
    const named = Object.entries(details).map(([k, value]) => `${k} "${value}"`);
    calls.push({ field: 'recordSpeaker', inputType: 'RecordSpeakerInput', input: { sessionId, speaker: (speaker ?? 'user').toUpperCase(), ...details }, words: [said, ...named].join(', ') });
  }
  if (state) {
    const detail = str('detail');
    const words = state === 'waiting' ? `waiting (${reason})` : reason === 'error' ? 'failed' : state;
    calls.push({
      field: 'recordActivity',
      inputType: 'RecordActivityInput',
      input: { sessionId, state: state.toUpperCase(), waitReason: reason?.toUpperCase(), waitDetail: detail },
      words: detail ? `${words}: ${detail}` : words,
    });
  }
  if (uncommitted !== undefined) {
    const files = uncommitted === 'unknown' ? null : Number(uncommitted);
    const words = files === null ? 'work tree unknown' : files === 0 ? 'work tree clean' : `${files} uncommitted file${files === 1 ? '' : 's'}`;
    calls.push({ field: 'reportWorktree', inputType: 'ReportWorktreeInput', input: { sessionId, uncommittedFiles: files }, words });
  }
  if (close) {
    const by = { user: 'ended by you', auto: 'ended on its own', abandoned: 'abandoned' }[close];
    calls.push({ field: 'closeSession', inputType: 'CloseSessionInput', input: { sessionId, closedBy: close.toUpperCase() }, words: by! });
  }
  if (!calls.length) throw new UsageError('event needs something to report: --speaker, --state, --uncommitted or --close.');
  for (const { field, inputType, input } of calls) {
    const query = `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on Error { message } ... on InputValidationError { issues { path message } } } }`;
    const { result } = await graphql<{ result: { __typename: string; message?: string; issues?: { path: string[]; message: string }[] } }>(server, query, { input });
    if (result.message) {
      // Said of the flags the user typed, not of the API's fields.
      const issues = result.issues?.map((i) => `--${FLAGS[i.path.at(-1)!] ?? i.path.at(-1)}: ${i.message}`).join('; ');
      throw new CliError(issues || result.message!);
    }
  }
  console.log(`Recorded for ${sessionId}: ${calls.map((c) => c.words).join('; ')}.`);
}

/**
 * Codex's `notify` payload (agent-turn-complete: `thread-id`, `cwd`, `last-assistant-message`), as
 * the Stop hook it stands for on a Codex without hooks. Anything else is not a turn ending.
 */
function codexTurnComplete(argument: string): Record<string, unknown> {
  const note = JSON.parse(argument) as Record<string, unknown>;
  if (note.type !== 'agent-turn-complete') throw new Error(`a Codex notification of type ${String(note.type)}, not a turn ending`);
  return { session_id: note['thread-id'], hook_event_name: 'Stop', cwd: note.cwd, last_assistant_message: note['last-assistant-message'] };
}

/** `lookout token create|ls|revoke`: scoped tokens, managed with an admin token. */
const DEFAULT_URL = 'http://127.0.0.1:4000';

/**
 * The server to talk to: --url, else LOOKOUT_URL, else the one `install` wired the hooks to, else
 * the default; a URL that is not one is a usage error. The token: --token, else (a hook) the one
 * `install` kept for that server's hooks, else LOOKOUT_TOKEN.
 */
function serverFrom(values: { url?: unknown; token?: unknown }, config: CliConfig, forHooks = false): Server & { urlFrom: string } {
  const given = typeof values.url === 'string' ? values.url : process.env.LOOKOUT_URL || undefined;
  const url = given ?? config.url ?? DEFAULT_URL;
  const from = typeof values.url === 'string' ? '--url' : given ? 'LOOKOUT_URL' : config.url ? configFile(home) : 'the default URL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${from} must be a URL such as http://127.0.0.1:4000 (got "${url}").`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw new UsageError(`${from} must be an http:// or https:// URL such as http://127.0.0.1:4000 (got "${url}").`);
  }
  // A hook sends the report-only token install made for its server before any LOOKOUT_TOKEN the
  // agent's environment holds (often a person's, with more scope than reporting needs).
  const kept = forHooks ? config.hookTokens?.[parsed.origin] : undefined;
  const token = (typeof values.token === 'string' ? values.token : undefined) || kept || process.env.LOOKOUT_TOKEN;
  return { url: parsed.origin, token: token || undefined, urlFrom: from };
}

/** parseArgs' own errors, as one line a user reads. */
function usageFrom(error: NodeJS.ErrnoException): UsageError {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`Unknown option ${option}. Run lookout help COMMAND for a command's options.`);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const dash = /ambiguous/.test(error.message) ? ` (a value that starts with "-" goes as ${option}=VALUE)` : '';
    return new UsageError(`${option} needs a value${dash}.`);
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`Unexpected argument: ${error.message.match(/'([^']+)'/)?.[1] ?? ''}.`);
  return new UsageError(error.message);
}

const home = process.env.LOOKOUT_HOME ?? path.join(homedir(), '.lookout');
/** Each agent's undelivered events, kept apart: they go to different endpoints. */
const spools: Record<HookAgentName, Spool> = { 'claude-code': new Spool(home), codex: new Spool(path.join(home, 'codex')) };
const AGENTS = Object.keys(spools) as HookAgentName[];

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  user: { type: 'boolean' },
  dir: { type: 'string' },
  shared: { type: 'boolean' },
  json: { type: 'boolean' },
  project: { type: 'string' },
  session: { type: 'string' },
  speaker: { type: 'string' },
  state: { type: 'string' },
  reason: { type: 'string' },
  detail: { type: 'string' },
  close: { type: 'string' },
  uncommitted: { type: 'string' },
  title: { type: 'string' },
  cwd: { type: 'string' },
  branch: { type: 'string' },
  host: { type: 'string' },
  link: { type: 'string' },
  agent: { type: 'string' },
  always: { type: 'boolean' },
  hidden: { type: 'boolean' },
  'answer-from-feed': { type: 'boolean' },
  name: { type: 'string' },
  scope: { type: 'string' },
  person: { type: 'string' },
  notify: { type: 'boolean' },
  message: { type: 'string' },
  other: { type: 'string' },
  decline: { type: 'boolean' },
  cancel: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/**
 * The token the hooks get: with an admin token, a new report-only one (what agents need, and no
 * more: whoever reads the settings file can report, not read the feed or answer prompts). A token
 * that cannot create tokens is written as it is; none at all, nothing.
 */
async function hooksToken(server: Server, agent: string, person: string | undefined): Promise<{ token?: string; notes: string[] }> {
  if (!server.token) return { notes: [] };
  const query = `mutation($name: String!, $person: String) {
    createToken(name: $name, scope: REPORT, person: $person) { __typename ... on MutationCreateTokenSuccess { data { token apiToken { id name person } } } }
  }`;
  try {
    const { createToken } = await graphql<{ createToken: { data?: { token: string; apiToken: { id: string; name: string; person: string } } } }>(server, query, {
      name: `${agent} hooks on ${hostname()}`,
      person,
    });
    const made = createToken.data;
    if (!made) return { token: server.token, notes: [] };
    const { id, name, person: whose } = made.apiToken;
    return { token: made.token, notes: [`Made a report-only token for the hooks: "${name}" (${id}), reporting ${whose}'s sessions and nothing more.`] };
  } catch (error) {
    // Not an admin token: the hooks send the token given, as it is.
    if (error instanceof ForbiddenError) return { token: server.token, notes: [] };
    throw new CliError(`Cannot create a report-only token for the hooks at ${server.url}: ${(error as Error).message} (start Lookout, or pass a report token with --token).`);
  }
}

/** The hooks' token, kept where only the user can read it; and the server, which commands use from now on. */
async function keepHooksServer(server: Server, token: string | undefined): Promise<string[]> {
  await rememberServer(home, server.url, token);
  return [
    ...(token ? [`The hooks read their token from ${configFile(home)} (only you can read it), never from their command line.`] : []),
    `lookout commands now talk to ${server.url} unless --url or LOOKOUT_URL says otherwise.`,
  ];
}

/** Codex's version, from `codex --version`; null when there is no codex on PATH to ask. */
function codexVersion(): Promise<[number, number] | null> {
  return new Promise((resolve) =>
    execFile('codex', ['--version'], { timeout: 3_000 }, (error, stdout) => {
      const match = /(\d+)\.(\d+)\.\d+/.exec(stdout ?? '');
      resolve(error || !match ? null : [Number(match[1]), Number(match[2])]);
    }),
  );
}

/**
 * `lookout install|uninstall codex [--user | --dir DIR] [--answer-from-feed] [--notify]`: hooks.json,
 * and Codex's `notify` when its hooks are off or too old (or asked for with --notify).
 */
async function installCodexCommand(
  command: string,
  server: Server,
  values: { user?: boolean; dir?: string; shared?: boolean; notify?: boolean; 'answer-from-feed'?: boolean; person?: string },
  checkUp: (project: string) => Promise<boolean>,
) {
  if (values.shared) throw new UsageError("--shared is for Claude Code: Codex's project hooks.json is the repository's own.");
  const target = await installTarget(values);
  const file = codexHooksFile(target, homedir());
  const configFile = path.join(homedir(), '.codex', 'config.toml');
  const cli = [process.execPath, await realpath(process.argv[1]!)];
  if (command === 'uninstall') {
    for (const note of [...(await uninstall(file)), ...(await unwireCodexNotify(configFile))]) console.log(note);
    return 0;
  }
  // A project's hooks.json is committed with the repository: the token stays out of it.
  const shared = !target.user;
  const made = await hooksToken(server, 'codex', values.person);
  const notes = [
    ...(await installCodex(file, { cli, url: server.url, token: made.token, shared, answerFromFeed: !!values['answer-from-feed'] })),
    ...made.notes,
    ...(await keepHooksServer(server, made.token)),
  ];
  const version = await codexVersion();
  const config = await readFile(configFile, 'utf8').catch(() => '');
  const hooksOff = /^\s*codex_hooks\s*=\s*false/m.test(config);
  const tooOld = version !== null && (version[0] < CODEX_HOOKS_SINCE[0] || (version[0] === CODEX_HOOKS_SINCE[0] && version[1] < CODEX_HOOKS_SINCE[1]));
  if (values.notify || hooksOff || tooOld) {
    const why = values.notify ? 'asked with --notify' : hooksOff ? 'codex_hooks = false in config.toml' : `codex ${version!.join('.')} runs no hooks before ${CODEX_HOOKS_SINCE.join('.')}`;
    notes.push(`Hooks will not run (${why}):`, ...(await wireCodexNotify(configFile, [...cli, 'notify', 'codex', '--url', server.url])));
  } else if (version === null) {
    notes.push('No codex on PATH to ask its version: if your Codex is older than 0.124, run this again with --notify.');
  }
  for (const note of notes) console.log(note);
  console.log('');
  await checkUp(target.project);
  return 0;
}

/** Where `install` and `uninstall` write, from --user, --dir and --shared, checked. */
async function installTarget(values: { user?: boolean; dir?: string; shared?: boolean }): Promise<{ user: boolean; project: string; shared: boolean }> {
  if (values.user && values.dir !== undefined) throw new UsageError('--user and --dir name different settings files: pass one.');
  if (values.user && values.shared) throw new UsageError('--shared is for a project\'s settings, not --user.');
  const project = path.resolve(values.dir ?? process.cwd());
  if (values.dir !== undefined && !(await stat(project).then((s) => s.isDirectory(), () => false))) {
    throw new UsageError(`--dir ${values.dir}: no such folder.`);
  }
  return { user: !!values.user, project, shared: !!values.shared };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'hook' || argv[0] === 'notify') {
    // Whatever happens, the agent carries on: no option is an error here, and nothing goes to its terminal.
    const loose = parseArgs({
      args: argv,
      strict: false,
      allowPositionals: true,
      options: { url: { type: 'string' }, token: { type: 'string' }, 'answer-from-feed': { type: 'boolean' } },
    });
    const agent: HookAgentName = loose.positionals[1] === 'codex' ? 'codex' : 'claude-code';
    const spool = spools[agent];
    try {
      const options = { agent, answerFromFeed: loose.values['answer-from-feed'] === true, firedAt: new Date(performance.timeOrigin) };
      // Codex's notify program gets its payload as the last argument: the end of a turn.
      const read = argv[0] === 'notify' ? async () => JSON.stringify(codexTurnComplete(loose.positionals.at(-1) ?? '')) : undefined;
      await runHook(serverFrom(loose.values, await readCliConfig(home), true), spool, options, read);
    } catch (error) {
      await spool.log(`hook failed: ${(error as Error).message}`).catch(() => {});
    }
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageFrom(error as NodeJS.ErrnoException);
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.version || command === 'version') {
    console.log(`lookout ${lookoutVersion()}`);
    return 0;
  }
  if (command && !COMMAND_NAMES.includes(command)) throw new UsageError(`Unknown command "${command}". Run lookout help for the commands.`);
  if (!command || (command === 'help' && !target)) {
    console.log(usage());
    return 0;
  }
  if (command === 'help' || values.help) {
    const about = commandHelp(command === 'help' ? target! : command);
    if (!about) throw new UsageError(`Unknown command "${target}". Run lookout help for the commands.`);
    console.log(about);
    return 0;
  }
  if (command === 'migrate') return migrateCommand();
  const config = await readCliConfig(home);
  const server = serverFrom(values, config);
  /** Everything between the agents and the feed, checked; true when all is well. */
  const checkUp = async (project: string) => {
    const findings = await doctor({ server, urlFrom: server.urlFrom, config: await readCliConfig(home), configFile: configFile(home), project, spools: AGENTS.map((agent) => ({ agent, spool: spools[agent] })) });
    console.log(doctorReport(findings));
    return findings.every((f) => f.ok);
  };

  switch (command) {
    case 'flush': {
      let delivered = 0;
      let dropped = 0;
      let left = 0;
      for (const agent of AGENTS) {
        const spool = spools[agent];
        const spooled = await spool.claim();
        let done = 0;
        while (done < spooled.events.length) {
          const batch = spooled.events.slice(done, done + FLUSH_BATCH);
          const sent = await sendEvents(server, batch, (line) => spool.log(line), FLUSH_TIMEOUT_MS, HOOK_PATHS[agent]);
          done += sent.done;
          delivered += sent.done - sent.refused.size;
          dropped += sent.refused.size;
          if (sent.done < batch.length) break;
        }
        await spooled.settle(done);
        left += spooled.events.length - done;
      }
      const refusedWords = dropped ? ` ${dropped} event(s) the server refused were dropped (see hook.log).` : '';
      console.log(left ? `Could not reach ${server.url}; ${left} event(s) stay spooled.${refusedWords}` : `Delivered ${delivered} spooled event(s).${refusedWords}`);
      return left ? 1 : 0;
    }
    case 'install':
    case 'uninstall': {
      if (target === 'codex') return installCodexCommand(command, server, values, checkUp);
      if (target !== 'claude-code') throw new UsageError(`${command} needs the agent: lookout ${command} claude-code, or lookout ${command} codex.`);
      if (values.notify) throw new UsageError('--notify is for codex.');
      const where = await installTarget(values);
      const file = settingsFile(where, homedir());
      const cli = [process.execPath, await realpath(process.argv[1]!)];
      if (command === 'uninstall') {
        for (const note of await uninstall(file)) console.log(note);
        return 0;
      }
      const made = await hooksToken(server, 'claude-code', values.person);
      const notes = [
        ...(await installClaudeCode(file, { cli, url: server.url, token: made.token, shared: where.shared, answerFromFeed: !!values['answer-from-feed'] })),
        ...made.notes,
        ...(await keepHooksServer(server, made.token)),
      ];
      // The personal settings file of a project: git must not pick it up (nor every session count it as uncommitted work).
      const ignoring = !where.user && !where.shared ? await keepOutOfGit(file) : null;
      for (const note of [...notes, ...(ignoring ? [ignoring] : [])]) console.log(note);
      // Written whatever else is wrong (the hooks keep what they cannot deliver): the check says what is.
      console.log('');
      await checkUp(where.project);
      return 0;
    }
    case 'doctor':
      return (await checkUp(path.resolve(values.dir ?? process.cwd()))) ? 0 : 1;
    case 'ls':
      if (values.hidden) await listHidden(server, !!values.json);
      else await list(server, values.project, !!values.json);
      return 0;
    case 'unhide': {
      if (!target) throw new UsageError('unhide needs the session id: lookout ls --hidden shows it.');
      const query = `mutation($id: String!) { unhideSession(sessionId: $id) { __typename ... on Error { message } } }`;
      const { unhideSession } = await graphql<{ unhideSession: { message?: string } }>(server, query, { id: target });
      if (unhideSession.message) throw new CliError(unhideSession.message);
      console.log(`Unhid ${target}: it is back in the feed whenever it needs you.`);
      return 0;
    }
    case 'watch':
      await watch(server, values.project);
      return 0;
    case 'mcp': {
      // Loaded here, not at start: the hook path runs on every agent step and must start fast.
      const { serveMcp } = await import('./mcp.ts');
      await serveMcp((query, variables) => graphql(server, query, variables), '0.1.0');
      return 0;
    }
    case 'token': {
      // `--user NAME` reads as the person too (--user alone is install's flag).
      const person = values.person ?? (values.user && target === 'create' ? positionals[2] : undefined);
      if (values.user && target === 'create' && !person) throw new UsageError('token create --user needs the person\'s name.');
      await tokenCommand(server, target, positionals[2], { ...values, person });
      return 0;
    }
    case 'allow':
    case 'deny':
      await answerPrompt(server, command, target, values);
      return 0;
    case 'answer':
      await answerCommand(server, target, positionals.slice(2), values);
      return 0;
    default:
      await report(server, values);
      return 0;
  }
}

/**
 * The server's build does the migrating (its database code stays out of this CLI, which every hook
 * starts): it runs beside this file, with this environment, and its exit is this command's.
 */
function migrateCommand(): Promise<number> {
  const serverBuild = fileURLToPath(new URL('./server.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverBuild, 'migrate'], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    // One line, never a stack trace: what went wrong, in words.
    console.error(`lookout: ${error instanceof UsageError || error instanceof CliError ? error.message : (error?.message ?? String(error))}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
