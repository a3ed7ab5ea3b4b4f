// `lookout install|uninstall claude-code|codex`: adds or removes Lookout's hooks in an agent's
// settings file, keeping every other hook and setting and the file's own formatting, with a backup
// of the file as it was before the first install.
//
// Claude Code waits for every hook, and the tool-call hooks fire on every tool call, so those are
// Claude Code's own `http` hooks: one local request, no process to start. The events that matter
// (a prompt opening, a turn ending, the session ending) run the `lookout` command, which adds the
// git state and the agent's process and keeps what it cannot deliver until the server is back.
import { execFile } from 'node:child_process';
import { access, appendFile, chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLAUDE_CODE_HOOK_PATH, ENTRYPOINT_HEADER } from '../shared/hook-wire.ts';

/** Fired on every tool call (or subagent step): posted straight to the server, never spooled. */
const HTTP_EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'SubagentStart', 'SubagentStop'] as const;
/** The rest, through the command, which spools: the ones that must never be lost wait for it... */
const WAITED_FOR_EVENTS = ['PermissionRequest', 'PermissionDenied', 'Elicitation', 'ElicitationResult', 'Stop', 'StopFailure', 'SessionEnd'] as const;
/** ...and these run in the background (async), where the agent never waits for them. */
const BACKGROUND_EVENTS = ['SessionStart', 'UserPromptSubmit', 'Notification'] as const;
/** The hook events Lookout listens to. */
export const CLAUDE_CODE_EVENTS = [...HTTP_EVENTS, ...WAITED_FOR_EVENTS, ...BACKGROUND_EVENTS] as const;
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionRequest', 'PermissionDenied']);
/** How Lookout's own entries are recognised, to update or remove only them. */
const MARKER = / hook (claude-code|codex)\b/;
const HTTP_TIMEOUT_S = 2;
const COMMAND_TIMEOUT_S = 5;
const DECISION_HOOK_TIMEOUT_S = 600;

interface HookCommand {
  type: string;
  command?: string;
  url?: string;
  [key: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks: HookCommand[];
  [key: string]: unknown;
}
type Settings = { hooks?: Record<string, HookGroup[]>; [key: string]: unknown };

export interface InstallOptions {
  /** How to run the CLI: node and the script. */
  cli: string[];
  /** The server the hooks report to. */
  url: string;
  token?: string;
  /** A settings file others share (committed): the token stays out of it, read from LOOKOUT_TOKEN instead. */
  shared: boolean;
  /**
   * Wait for an answer from Lookout where the agent shows its own dialog only after the hook:
   * Codex's permission prompts, Claude Code's MCP forms (Elicitation). The terminal waits meanwhile.
   */
  answerFromFeed: boolean;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** ~/.claude/settings.json with --user; else the project's personal settings.local.json, or its shared settings.json. */
export function settingsFile(where: { user: boolean; project: string; shared: boolean }, home: string): string {
  if (where.user) return path.join(home, '.claude', 'settings.json');
  return path.join(where.project, '.claude', where.shared ? 'settings.json' : 'settings.local.json');
}

interface Read {
  settings: Settings;
  existed: boolean;
  text: string;
}

async function readSettings(file: string): Promise<Read> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (text === null) return { settings: {}, existed: false, text: '' };
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON: fix it or move it away, then install again.`);
  }
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) throw new Error(`${file} does not hold a JSON object.`);
  return { settings: settings as Settings, existed: true, text };
}

const isLookout = (hook: HookCommand) =>
  (typeof hook.command === 'string' && MARKER.test(hook.command)) ||
  (typeof hook.url === 'string' && hook.url.endsWith(CLAUDE_CODE_HOOK_PATH));

/** One of Lookout's hooks as a settings file holds it: where it reports, and the token it sends. */
export interface InstalledHook {
  form: 'command' | 'http';
  url: string | null;
  /** A token written into the hook itself (an http hook's header, or an older command's --token). */
  token: string | null;
  /** It sends LOOKOUT_TOKEN from the agent's environment. */
  readsEnvironment: boolean;
}

/** Lookout's hooks in a settings file, one per distinct form, server and token; null when there is no such file. */
export async function installedHooks(file: string): Promise<InstalledHook[] | null> {
  const read = await readSettings(file).catch(() => null);
  if (!read?.existed) return null;
  const found = new Map<string, InstalledHook>();
  for (const group of Object.values(read.settings.hooks ?? {}).flat()) {
    for (const hook of group?.hooks ?? []) {
      if (!isLookout(hook)) continue;
      const header = typeof hook.headers === 'object' && hook.headers ? String((hook.headers as Record<string, unknown>).authorization ?? '') : '';
      const installed: InstalledHook =
        hook.type === 'http'
          ? { form: 'http', url: originOf(hook.url), token: /^Bearer (?!\$)(\S+)$/.exec(header)?.[1] ?? null, readsEnvironment: header.includes('$LOOKOUT_TOKEN') }
          : { form: 'command', url: originOf(/--url (\S+)/.exec(hook.command ?? '')?.[1]), token: /--token (\S+)/.exec(hook.command ?? '')?.[1] ?? null, readsEnvironment: false };
      found.set(JSON.stringify(installed), installed);
    }
  }
  return [...found.values()];
}

function originOf(url: unknown): string | null {
  try {
    return new URL(String(url).replace(/^'|'$/g, '')).origin;
  } catch {
    return null;
  }
}

/** The settings without any of Lookout's hooks; groups and events left empty are removed. */
function withoutLookout(settings: Settings): Settings {
  if (!settings.hooks) return settings;
  const hooks: Record<string, HookGroup[]> = {};
  for (const [event, groups] of Object.entries(settings.hooks)) {
    const kept = groups
      .map((group) => ({ ...group, hooks: group.hooks.filter((hook) => !isLookout(hook)) }))
      .filter((group) => group.hooks.length > 0);
    if (kept.length) hooks[event] = kept;
  }
  const { hooks: _old, ...rest } = settings;
  return Object.keys(hooks).length ? { ...rest, hooks } : rest;
}

/** The file's own indentation (two spaces when it has none yet) and final newline, kept. */
function formatLike(before: Read, settings: Settings): string {
  const indent = /^([ \t]+)"/m.exec(before.text)?.[1] ?? '  ';
  const newline = !before.existed || before.text.endsWith('\n') ? '\n' : '';
  return `${JSON.stringify(settings, null, indent)}${newline}`;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** Whether settings hold anything of their own besides Lookout's hooks. */
const hasOwn = (settings: Settings) => Object.keys(withoutLookout(settings)).length > 0;

/**
 * Writes the settings; the first change to a file with settings of its own backs it up (never a
 * file holding only Lookout's hooks), and that backup is never overwritten.
 */
async function save(file: string, before: Read, settings: Settings): Promise<{ changed: boolean; notes: string[] }> {
  const text = formatLike(before, settings);
  if (before.existed && text === before.text) return { changed: false, notes: [] };
  await mkdir(path.dirname(file), { recursive: true });
  const notes: string[] = [];
  const backup = `${file}.lookout-backup`;
  if (before.existed && hasOwn(before.settings) && !(await exists(backup))) {
    await copyFile(file, backup);
    notes.push(`Backed up ${file} to ${backup}.`);
  }
  await writeFile(file, text);
  return { changed: true, notes };
}

/** Lookout's hook entries, for the server at `url`. */
export function lookoutHooks({ cli, url, token, shared, answerFromFeed }: InstallOptions): Record<string, HookGroup> {
  // The command reads its token from the CLI's own settings (or LOOKOUT_TOKEN), never from its
  // command line; the http hook sends it as a header, written in a personal file only. In a shared
  // file it reads LOOKOUT_TOKEN from the agent's environment.
  const command = [...cli, 'hook', 'claude-code', '--url', url, ...(answerFromFeed ? ['--answer-from-feed'] : [])].map(quote).join(' ');
  const authorization = token ? (shared ? 'Bearer $LOOKOUT_TOKEN' : `Bearer ${token}`) : undefined;
  const http: HookCommand = {
    type: 'http',
    url: new URL(CLAUDE_CODE_HOOK_PATH, url).href,
    timeout: HTTP_TIMEOUT_S,
    headers: { [ENTRYPOINT_HEADER]: '$CLAUDE_CODE_ENTRYPOINT', ...(authorization ? { authorization } : {}) },
    allowedEnvVars: ['CLAUDE_CODE_ENTRYPOINT', ...(authorization && shared ? ['LOOKOUT_TOKEN'] : [])],
  };
  const run = (background: boolean, timeout = COMMAND_TIMEOUT_S): HookCommand => ({ type: 'command', command, timeout, ...(background ? { async: true } : {}) });
  const entry = (event: string, hook: HookCommand): [string, HookGroup] => [event, { ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [hook] }];
  return Object.fromEntries([
    ...HTTP_EVENTS.map((event) => entry(event, http)),
    // A permission prompt's hook waits for an answer from Lookout (LOOKOUT_DECISION_TIMEOUT_SECONDS, below this), and an MCP form's when opted in.
    ...WAITED_FOR_EVENTS.map((event) => entry(event, run(false, event === 'PermissionRequest' || (event === 'Elicitation' && answerFromFeed) ? DECISION_HOOK_TIMEOUT_S : COMMAND_TIMEOUT_S))),
    ...BACKGROUND_EVENTS.map((event) => entry(event, run(true))),
  ]);
}

/** Lookout's hooks go after the file's own, replacing any Lookout hooks installed before. */
export async function install(file: string, agent: string, hooks: Record<string, HookGroup>, url: string): Promise<{ changed: boolean; notes: string[] }> {
  const before = await readSettings(file);
  const settings = withoutLookout(before.settings);
  const merged = { ...(settings.hooks ?? {}) };
  for (const [event, group] of Object.entries(hooks)) merged[event] = [...(merged[event] ?? []), group];
  const { changed, notes } = await save(file, before, { ...settings, hooks: merged });
  const wired = `${agent}'s hooks in ${file} report to ${url}`;
  return { changed, notes: changed ? [...notes, `Wired ${wired}.`] : [`${wired} already: nothing changed.`] };
}

/** `lookout install claude-code`. */
export async function installClaudeCode(file: string, options: InstallOptions): Promise<string[]> {
  const { changed, notes } = await install(file, 'Claude Code', lookoutHooks(options), options.url);
  // A personal file that holds the hooks' token is the user's alone.
  if (options.token && !options.shared) await chmod(file, 0o600);
  if (!changed) return notes;
  return [
    ...notes,
    ...(options.shared && options.token ? ['The token is not written into this shared file: set LOOKOUT_TOKEN where Claude Code runs.'] : []),
    `Next: start Claude Code in a project and send a prompt; the session shows at ${options.url}/ (lookout ls lists it).`,
    options.answerFromFeed
      ? "An MCP server's form waits for your answer in Lookout (up to LOOKOUT_DECISION_TIMEOUT_SECONDS) before Claude Code shows its own: until you answer, the terminal cannot."
      : "An MCP server's form is shown in Lookout and answered in the terminal (--answer-from-feed makes it wait for an answer from Lookout, locking the terminal meanwhile).",
  ];
}

/**
 * Keeps the personal settings file (it holds the hooks' token) out of git, as Claude Code does when
 * it creates that file: a line in the repository's own `info/exclude`, never in a tracked file.
 * Nothing when the folder is not in a repository, or git already ignores or tracks the file.
 */
export async function keepOutOfGit(file: string): Promise<string | null> {
  const dir = path.dirname(file);
  const git = (...args: string[]) => promisify(execFile)('git', ['-C', dir, ...args]).then((r) => r.stdout.trim());
  const top = await git('rev-parse', '--show-toplevel').catch(() => null);
  if (!top) return null;
  const ignored = await git('check-ignore', '-q', file).then(() => true, () => false);
  const tracked = await git('ls-files', '--error-unmatch', file).then(() => true, () => false);
  if (ignored || tracked) return null;
  const exclude = path.resolve(dir, await git('rev-parse', '--git-path', 'info/exclude'));
  await mkdir(path.dirname(exclude), { recursive: true });
  const existing = await readFile(exclude, 'utf8').catch(() => '');
  const line = `/${path.relative(top, file).split(path.sep).join('/')}`;
  await appendFile(exclude, `${existing && !existing.endsWith('\n') ? '\n' : ''}${line}\n`);
  return `Git ignores ${line.slice(1)} in this repository (${path.relative(top, exclude) || exclude}): it holds the hooks' token.`;
}

// ---- Codex --------------------------------------------------------------------------------

/** Codex has command hooks only: every tool call's runs in the background (async), the agent never waits. */
const CODEX_BACKGROUND_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'SubagentStart', 'SubagentStop', 'Interrupt'] as const;
const CODEX_WAITED_FOR_EVENTS = ['PermissionRequest', 'Stop', 'StopFailure', 'SessionEnd'] as const;
export const CODEX_EVENTS = [...CODEX_BACKGROUND_EVENTS, ...CODEX_WAITED_FOR_EVENTS] as const;
/** Codex's own version from which hooks run by default. */
export const CODEX_HOOKS_SINCE = [0, 124] as const;

/** ~/.codex/hooks.json with --user, else the project's .codex/hooks.json (shared with the repository). */
export function codexHooksFile(where: { user: boolean; project: string }, home: string): string {
  return where.user ? path.join(home, '.codex', 'hooks.json') : path.join(where.project, '.codex', 'hooks.json');
}

export function codexHooks({ cli, url, answerFromFeed }: InstallOptions): Record<string, HookGroup> {
  const args = [...cli, 'hook', 'codex', '--url', url, ...(answerFromFeed ? ['--answer-from-feed'] : [])];
  const command = args.map(quote).join(' ');
  const run = (background: boolean, timeout = COMMAND_TIMEOUT_S): HookCommand => ({ type: 'command', command, timeout, ...(background ? { async: true } : {}) });
  const entry = (event: string, hook: HookCommand): [string, HookGroup] => [event, { ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [hook] }];
  return Object.fromEntries([
    ...CODEX_BACKGROUND_EVENTS.map((event) => entry(event, run(true))),
    ...CODEX_WAITED_FOR_EVENTS.map((event) => entry(event, run(false, event === 'PermissionRequest' && answerFromFeed ? DECISION_HOOK_TIMEOUT_S : COMMAND_TIMEOUT_S))),
  ]);
}

/** `lookout install codex`: hooks.json, and what Codex asks of the user before a new hook runs. */
export async function installCodex(file: string, options: InstallOptions): Promise<string[]> {
  const { changed, notes } = await install(file, 'Codex', codexHooks(options), options.url);
  if (!changed) return notes;
  return [
    ...notes,
    'Codex runs a new or changed hook only once you trust it: open /hooks in Codex and trust Lookout\'s.',
    'To check: start a Codex session and send a prompt; `lookout ls --json` lists it with "agent": "codex".',
    options.answerFromFeed
      ? 'Permission prompts wait for your answer in Lookout (up to LOOKOUT_DECISION_TIMEOUT_SECONDS) before Codex shows its own: until you answer, the terminal cannot.'
      : 'Permission prompts are reported, and Codex asks in the terminal at once (--answer-from-feed makes them wait for an answer from Lookout, locking the terminal meanwhile).',
  ];
}

const NOTIFY_LINE = /^notify\s*=.*$/m;

/**
 * Codex without hooks: its `notify` program hears each turn end. Set in config.toml as a top-level
 * key (first, so no table can claim it); a notify program the user already has is left alone.
 */
export async function wireCodexNotify(configFile: string, command: string[]): Promise<string[]> {
  const text = await readFile(configFile, 'utf8').catch(() => '');
  const existing = NOTIFY_LINE.exec(text)?.[0];
  if (existing?.includes('"notify", "codex"')) return [`${configFile} already runs Lookout at each turn's end.`];
  if (existing) return [`${configFile} already has ${existing}: Codex runs one notify program, so Lookout's is not added.`];
  const line = `notify = [${command.map((arg) => JSON.stringify(arg)).join(', ')}]`;
  await mkdir(path.dirname(configFile), { recursive: true });
  if (text && !(await exists(`${configFile}.lookout-backup`))) await copyFile(configFile, `${configFile}.lookout-backup`);
  await writeFile(configFile, `# Lookout: hears each turn's end (Codex without hooks).\n${line}\n${text}`);
  return [`Added ${line} to ${configFile}: this Codex has no hooks, so Lookout hears each turn's end instead.`];
}

/** Removes Lookout's notify line, and its comment, from config.toml. */
export async function unwireCodexNotify(configFile: string): Promise<string[]> {
  const text = await readFile(configFile, 'utf8').catch(() => null);
  if (text === null || !/^notify\s*=.*\bnotify", "codex"/m.test(text)) return [];
  const kept = text.replace(/^# Lookout: hears each turn's end \(Codex without hooks\)\.\n/m, '').replace(/^notify\s*=.*\bnotify", "codex".*\n?/m, '');
  await writeFile(configFile, kept);
  return [`Removed Lookout's notify from ${configFile}.`];
}

/**
 * Removes Lookout's hooks, leaving the file as it was before the first install: the backup put
 * back (and removed) when nothing else changed since; a file Lookout created, removed.
 */
export async function uninstall(file: string): Promise<string[]> {
  const before = await readSettings(file);
  if (!before.existed) return [`${file} does not exist: nothing to remove.`];
  const after = withoutLookout(before.settings);
  if (canonical(after) === canonical(before.settings)) return [`${file} has no Lookout hooks: nothing changed.`];
  const backup = `${file}.lookout-backup`;
  const original = await readFile(backup, 'utf8').catch(() => null);
  const unchangedSince = original !== null && canonical(parsedOrNull(original)) === canonical(after);
  if (unchangedSince) {
    await writeFile(file, original);
    await rm(backup);
    return [`Removed Lookout's hooks from ${file}: it is as it was before Lookout's first install.`];
  }
  if (original === null && !hasOwn(before.settings)) {
    await rm(file);
    return [`Removed ${file}: Lookout had created it, and it held only Lookout's hooks.`];
  }
  await save(file, before, after);
  return [`Removed Lookout's hooks from ${file}${original !== null ? ` (it changed since the first install: ${backup} keeps it as it was then)` : ''}.`];
}

/** JSON with every object's keys in order: equal settings, however their keys were ordered. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

function parsedOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
