// `lookout doctor`: everything between the agents and the feed, checked and said in words, each
// problem with the one command that fixes it. Nothing it does changes anything: it asks the server
// whether it answers, and whether each installed hook's token would be taken for a report.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CLAUDE_CODE_DECISION_PATH } from '../shared/hook-wire.ts';
import { lookoutVersion } from '../shared/paths.ts';
import type { CliConfig } from './config.ts';
import type { Server } from './hook.ts';
import { type InstalledHook, installedHooks } from './install.ts';
import type { Spool } from './spool.ts';

const MIN_NODE = [20, 19] as const;
const PROBE_TIMEOUT_MS = 3_000;

export interface DoctorInput {
  /** The server lookout commands talk to, and where that URL came from. */
  server: Server;
  urlFrom: string;
  config: CliConfig;
  configFile: string;
  /** The project whose settings are looked at besides the user's own. */
  project: string;
  spools: { agent: string; spool: Spool }[];
}

export interface Finding {
  ok: boolean;
  said: string;
  fix?: string;
}

/** Whether Lookout answers at `url`, and its version: `down` says why not when it does not. */
async function probe(url: string): Promise<{ down: string | null; version?: string }> {
  try {
    const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!res.ok) return { down: `it answered ${res.status} at /healthz` };
    return { down: null, version: ((await res.json().catch(() => ({}))) as { version?: string }).version ?? 'unknown' };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const code = cause?.code ?? cause?.errors?.[0]?.code;
    return { down: code === 'ECONNREFUSED' ? 'nothing listens there' : code === 'ENOTFOUND' ? 'no such host' : (code ?? cause?.message ?? (error as Error).message) };
  }
}

/**
 * What the server says of a token sent with a hook's report, asked without reporting anything: the
 * hooks' own decision endpoint, for a prompt no session has.
 */
async function tokenVerdict(url: string, token: string | null): Promise<'accepted' | 'refused' | 'scope' | 'unknown'> {
  try {
    const res = await fetch(new URL(CLAUDE_CODE_DECISION_PATH, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ requestId: 'lookout-doctor:check' }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status === 401 ? 'refused' : res.status === 403 ? 'scope' : res.ok ? 'accepted' : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface SettingsFile {
  agent: 'Claude Code' | 'Codex';
  file: string;
  /** The install command that rewrites it. */
  install: string;
}

function settingsFiles(project: string): SettingsFile[] {
  const home = homedir();
  const dir = project === process.cwd() ? '' : ` --dir ${project}`;
  return [
    { agent: 'Claude Code', file: path.join(home, '.claude', 'settings.json'), install: 'lookout install claude-code --user' },
    { agent: 'Claude Code', file: path.join(project, '.claude', 'settings.local.json'), install: `lookout install claude-code${dir}` },
    { agent: 'Claude Code', file: path.join(project, '.claude', 'settings.json'), install: `lookout install claude-code${dir} --shared` },
    { agent: 'Codex', file: path.join(home, '.codex', 'hooks.json'), install: 'lookout install codex --user' },
    { agent: 'Codex', file: path.join(project, '.codex', 'hooks.json'), install: `lookout install codex${dir}` },
  ];
}

const WITH_ADMIN = 'LOOKOUT_TOKEN=<an admin token> ';

/** The checks of one settings file's hooks: where they report, and whether their token is taken. */
async function checkHooks(where: SettingsFile, hooks: InstalledHook[], input: DoctorInput, reached: Map<string, Promise<{ down: string | null; version?: string }>>): Promise<Finding[]> {
  const findings: Finding[] = [];
  const saidDown = new Set<string>();
  for (const hook of hooks) {
    const url = hook.url;
    const what = `${where.agent}'s ${hook.form} hooks in ${where.file}`;
    if (!url) {
      findings.push({ ok: false, said: `${what} name no server.`, fix: where.install });
      continue;
    }
    if (!reached.has(url)) reached.set(url, probe(url));
    const { down } = await reached.get(url)!;
    if (down) {
      if (!saidDown.has(url)) findings.push({ ok: false, said: `${where.agent}'s hooks in ${where.file} report to ${url}, which does not answer (${down}).`, fix: `start Lookout there (npm start in its folder), or point the hooks at it: ${where.install} --url <its URL>` });
      saidDown.add(url);
      continue;
    }
    // The token the hook sends, as the hook itself chooses it (see serverFrom in main.ts).
    const kept = hook.form === 'command' ? input.config.hookTokens?.[url] : undefined;
    const fromEnvironment = hook.form === 'command' || hook.readsEnvironment ? process.env.LOOKOUT_TOKEN || undefined : undefined;
    const token = hook.token ?? kept ?? fromEnvironment ?? null;
    const source = hook.token ? 'written in the hook' : kept ? `kept in ${input.configFile}` : token ? 'LOOKOUT_TOKEN' : 'no token';
    const verdict = await tokenVerdict(url, token);
    if (verdict === 'accepted') findings.push({ ok: true, said: `${what} report to ${url}, and it takes their token (${source}).` });
    else if (verdict === 'refused') {
      findings.push({ ok: false, said: `${what} report to ${url}, which refuses their token (${source}): their events are dropped or kept unsent.`, fix: `${WITH_ADMIN}${where.install} --url ${url}` });
    } else if (verdict === 'scope') {
      findings.push({ ok: false, said: `${what} report to ${url} with a token (${source}) whose scope cannot report.`, fix: `${WITH_ADMIN}${where.install} --url ${url}` });
    } else findings.push({ ok: false, said: `${what} report to ${url}, which did not say whether it takes their token.`, fix: 'lookout doctor again in a moment' });
  }
  return findings;
}

/** Every check, in the order a person follows the way from an agent to the feed. */
export async function doctor(input: DoctorInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const nodeOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  findings.push(nodeOk ? { ok: true, said: `Node ${process.versions.node}.` } : { ok: false, said: `Node ${process.versions.node} is older than Lookout needs.`, fix: `install Node ${MIN_NODE.join('.')} or newer` });

  // The commands ls and the page print start with `lookout`.
  const onPath = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'lookout')));
  findings.push(onPath ? { ok: true, said: 'The lookout command is on your PATH.' } : { ok: false, said: 'The lookout command is not on your PATH.', fix: "npm link in Lookout's folder" });

  // Each server is asked once, whoever names it.
  const reached = new Map<string, Promise<{ down: string | null; version?: string }>>();
  reached.set(input.server.url, probe(input.server.url));
  const { down, version: serverVersion } = await reached.get(input.server.url)!;
  findings.push(
    down
      ? { ok: false, said: `Lookout does not answer at ${input.server.url} (${down}), the URL lookout commands use (from ${input.urlFrom}).`, fix: 'start Lookout (npm start in its folder), or pass --url / set LOOKOUT_URL to where it runs' }
      : { ok: true, said: `Lookout answers at ${input.server.url} (from ${input.urlFrom}).` },
  );
  // The hooks and the page come from the server's build, the commands from this one: one version.
  if (serverVersion && serverVersion !== lookoutVersion()) {
    findings.push({ ok: false, said: `Lookout at ${input.server.url} runs version ${serverVersion}, this lookout command ${lookoutVersion()}.`, fix: "npm install, then restart Lookout (npm start) in its folder, and install the hooks again" });
  }

  let installed = 0;
  for (const where of settingsFiles(input.project)) {
    const hooks = await installedHooks(where.file);
    if (!hooks?.length) continue;
    installed++;
    findings.push(...(await checkHooks(where, hooks, input, reached)));
  }
  if (!installed) {
    findings.push({ ok: false, said: `No agent's hooks report to Lookout (looked in ~/.claude, ~/.codex and ${input.project}).`, fix: 'lookout install claude-code --user (or --dir PROJECT), or lookout install codex --user' });
  }

  let spooled = 0;
  for (const { agent, spool } of input.spools) {
    const waiting = await spool.waiting();
    if (!waiting) continue;
    spooled += waiting;
    const last = (await spool.lastLogLines(1))[0];
    findings.push({ ok: false, said: `${waiting} ${agent} event(s) wait to be delivered${last ? ` (the hook's log: ${last})` : ''}.`, fix: 'lookout flush, once the problems above are fixed' });
  }
  if (!spooled) findings.push({ ok: true, said: 'No events wait to be delivered.' });
  return findings;
}

/** The findings as a person reads them: a mark each, the fix under each problem, a count last. */
export function doctorReport(findings: Finding[]): string {
  const lines = findings.flatMap((f) => [`${f.ok ? '✓' : '✗'} ${f.said}`, ...(f.fix ? [`    fix: ${f.fix}`] : [])]);
  const problems = findings.filter((f) => !f.ok).length;
  return [...lines, problems ? `${problems} problem${problems > 1 ? 's' : ''}: the fix is under each.` : 'All good: your agents reach Lookout.'].join('\n');
}
