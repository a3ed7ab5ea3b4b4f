// `lookout install|uninstall claude-code`: adds or removes Lookout's hooks in a Claude Code
// settings file, keeping every other hook and setting, with a backup of what was there.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The hook events Lookout listens to. */
export const CLAUDE_CODE_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PermissionRequest',
  'Notification',
  'Stop',
  'StopFailure',
  'SessionEnd',
] as const;
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PermissionRequest']);
/** How Lookout's own entries are recognised, to update or remove only them. */
const MARKER = 'hook claude-code';

interface HookCommand {
  type: string;
  command?: string;
  [key: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks: HookCommand[];
  [key: string]: unknown;
}
type Settings = { hooks?: Record<string, HookGroup[]>; [key: string]: unknown };

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export function settingsFile(user: boolean, home: string, cwd: string): string {
  return user ? path.join(home, '.claude', 'settings.json') : path.join(cwd, '.claude', 'settings.json');
}

async function readSettings(file: string): Promise<{ settings: Settings; existed: boolean; text: string }> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (text === null) return { settings: {}, existed: false, text: '' };
  const settings = JSON.parse(text) as unknown;
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) throw new Error(`${file} does not hold a JSON object.`);
  return { settings: settings as Settings, existed: true, text };
}

const isLookout = (hook: HookCommand) => typeof hook.command === 'string' && hook.command.includes(MARKER);

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

async function save(file: string, before: { existed: boolean; text: string }, settings: Settings): Promise<string[]> {
  const text = `${JSON.stringify(settings, null, 2)}\n`;
  if (before.existed && text === before.text) return [`${file} already says so: nothing changed.`];
  await mkdir(path.dirname(file), { recursive: true });
  const notes: string[] = [];
  if (before.existed) {
    await copyFile(file, `${file}.lookout-backup`);
    notes.push(`Backed up ${file} to ${file}.lookout-backup.`);
  }
  await writeFile(file, text);
  return notes;
}

/** `cli` runs the CLI, `options` follow the hook command; Lookout's hooks go after existing ones. */
export async function install(file: string, cli: string[], options: string[] = []): Promise<string[]> {
  const before = await readSettings(file);
  const settings = withoutLookout(before.settings);
  const hooks = { ...(settings.hooks ?? {}) };
  const line = [...cli, 'hook', 'claude-code', ...options].map(quote).join(' ');
  for (const event of CLAUDE_CODE_EVENTS) {
    const group: HookGroup = { ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [{ type: 'command', command: line, timeout: 5 }] };
    hooks[event] = [...(hooks[event] ?? []), group];
  }
  const notes = await save(file, before, { ...settings, hooks });
  if (notes[0]?.endsWith('nothing changed.')) return notes;
  return [...notes, `Added Lookout's hooks for ${CLAUDE_CODE_EVENTS.join(', ')} to ${file}, running: ${line}`];
}

export async function uninstall(file: string): Promise<string[]> {
  const before = await readSettings(file);
  if (!before.existed) return [`${file} does not exist: nothing to remove.`];
  const notes = await save(file, before, withoutLookout(before.settings));
  if (notes[0]?.endsWith('nothing changed.')) return [`${file} has no Lookout hooks: nothing changed.`];
  return [...notes, `Removed Lookout's hooks from ${file}.`];
}
