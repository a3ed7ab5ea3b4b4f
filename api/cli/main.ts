// The lookout command: wires agents to Lookout and shows the feed in a terminal.
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatElapsed } from '../../client/src/feed/elapsed.ts';
import { FLUSH_BATCH, FLUSH_TIMEOUT_MS, runHook, sendEvents, type Server } from './hook.ts';
import { install, settingsFile, uninstall } from './install.ts';
import { Spool } from './spool.ts';

const USAGE = `Usage: lookout <command> [options]

  install claude-code            add Lookout's hooks to the project's .claude/settings.json
      [--dir PROJECT | --user]   (the current folder's, PROJECT's, or --user: ~/.claude/settings.json)
  uninstall claude-code          remove them again (same options)
  hook claude-code               what the hooks run: reads a hook payload on stdin (always exits 0)
  flush                          deliver the events spooled while the server was unreachable
  ls [--json] [--project P]      print the feed
  watch [--project P]            print changes to the feed as they happen
  event --session ID ...         report for any agent: --speaker user|assistant, --state working|waiting|idle
                                 [--reason permission|question|review|blocked|error] [--detail TEXT],
                                 --close user|auto|abandoned, --uncommitted N, --title, --project, --cwd,
                                 --branch, --host, --link, --agent

Options: --url URL (LOOKOUT_URL, default http://127.0.0.1:4000), --token TOKEN (LOOKOUT_TOKEN)`;

const FEED = `query Feed($project: String) {
  attentionSessions(project: $project) {
    latestSeq
    edges { node { id title project branch host agent waitDetail attention { tier reason label since } } }
  }
}`;

const CHANGES = `subscription Changes($project: String) {
  attentionChanged(project: $project) {
    __typename
    ... on AttentionChange { seq session { id title project } attention { tier label } previous { tier label } }
    ... on FeedResyncRequired { reason }
  }
}`;

class CliError extends Error {}

async function graphql<T>(server: Server, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(new URL('/graphql', server.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(server.token ? { authorization: `Bearer ${server.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: Error) => {
    throw new CliError(`Cannot reach Lookout at ${server.url}: ${error.message}`);
  });
  if (res.status === 401) throw new CliError('Lookout refused the token: set LOOKOUT_TOKEN or pass --token.');
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new CliError(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}

interface FeedNode {
  id: string;
  title: string | null;
  project: string | null;
  branch: string | null;
  host: string | null;
  agent: string;
  waitDetail: string | null;
  attention: { tier: string; reason: string; label: string; since: string };
}

async function list(server: Server, project: string | undefined, json: boolean) {
  const data = await graphql<{ attentionSessions: { edges: { node: FeedNode }[] } }>(server, FEED, { project });
  const nodes = data.attentionSessions.edges.map((e) => e.node);
  if (json) return console.log(JSON.stringify(nodes, null, 2));
  const now = new Date();
  for (const [tier, heading] of [['NEEDS_YOU', 'Needs you'], ['IN_FOCUS', 'In focus']] as const) {
    const inTier = nodes.filter((n) => n.attention.tier === tier);
    console.log(`${heading} (${inTier.length})`);
    for (const n of inTier) {
      const where = [n.project, n.branch].filter(Boolean).join(' · ') + (n.host ? ` on ${n.host}` : '');
      console.log(`  ${n.attention.label.padEnd(24)} ${formatElapsed(new Date(n.attention.since), now).padStart(4)}  ${n.title ?? n.id}  ${where}`);
      if (n.waitDetail) console.log(`  ${''.padEnd(30)}${n.waitDetail}`);
    }
  }
  if (!nodes.length) console.log('All clear.');
}

async function watch(server: Server, project: string | undefined): Promise<void> {
  // Loaded here, not at start: the hook path runs on every agent step and must start fast.
  const [{ createClient }, { default: WebSocket }] = await Promise.all([import('graphql-ws'), import('ws')]);
  const client = createClient({
    url: new URL('/graphql', server.url).href.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: server.token ? { authorization: `Bearer ${server.token}` } : {},
    retryAttempts: Number.POSITIVE_INFINITY,
  });
  return new Promise((resolve, reject) => {
    client.subscribe<{ attentionChanged: Record<string, any> }>(
      { query: CHANGES, variables: { project } },
      {
        next: ({ data }) => {
          const change = data?.attentionChanged;
          const time = new Date().toLocaleTimeString();
          if (!change) return;
          if (change.__typename === 'FeedResyncRequired') return console.log(`${time}  (resync: ${change.reason})`);
          const what = change.attention ? `${change.attention.tier.padEnd(9)} ${change.attention.label}` : `left      (was ${change.previous?.label})`;
          console.log(`${time}  ${what}  ${change.session.title ?? change.session.id}${change.session.project ? ` (${change.session.project})` : ''}`);
        },
        error: reject,
        complete: resolve,
      },
    );
  });
}

async function report(server: Server, v: Record<string, string | boolean | undefined>) {
  const sessionId = v.session;
  if (typeof sessionId !== 'string') throw new CliError('event needs --session ID.');
  const str = (key: string) => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
  const calls: [string, string, Record<string, unknown>][] = [];
  const details = Object.fromEntries(['title', 'project', 'cwd', 'branch', 'host', 'link', 'agent'].flatMap((k) => (str(k) ? [[k, str(k)]] : [])));
  if (str('speaker') || Object.keys(details).length) {
    calls.push(['recordSpeaker', 'RecordSpeakerInput', { sessionId, speaker: (str('speaker') ?? 'user').toUpperCase(), ...details }]);
  }
  if (str('state')) {
    calls.push(['recordActivity', 'RecordActivityInput', { sessionId, state: str('state')!.toUpperCase(), waitReason: str('reason')?.toUpperCase(), waitDetail: str('detail') }]);
  }
  if (str('uncommitted') !== undefined) {
    calls.push(['reportWorktree', 'ReportWorktreeInput', { sessionId, uncommittedFiles: str('uncommitted') === 'unknown' ? null : Number(str('uncommitted')) }]);
  }
  if (str('close')) calls.push(['closeSession', 'CloseSessionInput', { sessionId, closedBy: str('close')!.toUpperCase() }]);
  if (!calls.length) throw new CliError('event needs something to report: --speaker, --state, --uncommitted or --close.');
  for (const [field, inputType, input] of calls) {
    const query = `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on Error { message } ... on InputValidationError { issues { path message } } } }`;
    const { result } = await graphql<{ result: { __typename: string; message?: string; issues?: { path: string[]; message: string }[] } }>(server, query, { input });
    if (result.message) {
      const issues = result.issues?.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`).join('; ');
      throw new CliError(`${field}: ${issues || result.message}`);
    }
  }
  console.log(`Recorded ${calls.map(([field]) => field).join(', ')} for ${sessionId}.`);
}

function serverFrom(values: { url?: unknown; token?: unknown }): Server {
  return {
    url: typeof values.url === 'string' ? values.url : (process.env.LOOKOUT_URL ?? 'http://127.0.0.1:4000'),
    token: typeof values.token === 'string' ? values.token : process.env.LOOKOUT_TOKEN,
  };
}

const spool = new Spool(process.env.LOOKOUT_HOME ?? path.join(homedir(), '.lookout'));

export async function main(argv: string[]): Promise<number> {
  const loose = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' } },
  });
  if (loose.positionals[0] === 'hook') {
    // Whatever happens, the agent carries on: no option is an error here, and nothing goes to its terminal.
    await runHook(serverFrom(loose.values), spool).catch((error: Error) => spool.log(`hook failed: ${error.message}`).catch(() => {}));
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      user: { type: 'boolean' },
      dir: { type: 'string' },
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  const server = serverFrom(values);
  const [command, target] = positionals;
  const needClaudeCode = () => {
    if (target !== 'claude-code') throw new CliError(`${command} supports one agent so far: claude-code.`);
  };

  switch (command) {
    case 'flush': {
      const spooled = await spool.claim();
      let delivered = 0;
      while (delivered < spooled.events.length) {
        const batch = spooled.events.slice(delivered, delivered + FLUSH_BATCH);
        if (!(await sendEvents(server, batch, (line) => spool.log(line), FLUSH_TIMEOUT_MS))) break;
        delivered += batch.length;
      }
      await spooled.settle(delivered);
      const left = spooled.events.length - delivered;
      console.log(left ? `Could not reach ${server.url}; ${left} event(s) stay spooled.` : `Delivered ${delivered} spooled event(s).`);
      return left ? 1 : 0;
    }
    case 'install':
    case 'uninstall': {
      needClaudeCode();
      const file = settingsFile(!!values.user, homedir(), path.resolve(values.dir ?? process.cwd()));
      const cli = [process.execPath, await realpath(process.argv[1]!)];
      const extra = [...(values.url ? ['--url', values.url] : []), ...(values.token ? ['--token', values.token] : [])];
      const notes = command === 'install' ? await install(file, cli, extra) : await uninstall(file);
      for (const note of notes) console.log(note);
      return 0;
    }
    case 'ls':
      await list(server, values.project, !!values.json);
      return 0;
    case 'watch':
      await watch(server, values.project);
      return 0;
    case 'event':
      await report(server, values);
      return 0;
    default:
      console.log(USAGE);
      return command && !values.help ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error instanceof CliError ? error.message : error);
    process.exit(1);
  },
);
