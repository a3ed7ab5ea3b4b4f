// What `lookout help`, `lookout help COMMAND` and `lookout COMMAND --help` print: every command in
// one line, and each command on its own with its options.

interface CommandHelp {
  /** How it is called, one form a line. */
  usage: string[];
  /** What it does, in a line. */
  about: string;
  /** Its options and what else there is to know, a line each. */
  more?: string[];
}

const COMMANDS: Record<string, CommandHelp> = {
  install: {
    usage: ['install claude-code [--dir PROJECT | --user] [--shared] [--answer-from-feed]', 'install codex [--dir PROJECT | --user] [--answer-from-feed] [--notify]'],
    about: "add Lookout's hooks to an agent's settings, then check the way from the agent to Lookout (lookout doctor)",
    more: [
      "claude-code: the project's .claude/settings.local.json (the current folder's, or --dir's); --user: ~/.claude/settings.json;",
      "  --shared: the project's committed .claude/settings.json (it never holds the token).",
      "codex: the project's .codex/hooks.json; --user: ~/.codex/hooks.json; --notify also sets Codex's notify.",
      "--answer-from-feed: what the agent shows only once the hook has returned (Codex's permission prompts,",
      "  Claude Code's MCP forms) waits for an answer from Lookout; the terminal waits meanwhile.",
      '--person P: whose sessions the hooks report (an admin token makes them a report-only token for P).',
      'With an admin token it makes the hooks a report-only token, kept in ~/.lookout/config.json (only you can read it);',
      'the URL given becomes the one every lookout command talks to.',
    ],
  },
  uninstall: {
    usage: ['uninstall claude-code [--dir PROJECT | --user] [--shared]', 'uninstall codex [--dir PROJECT | --user]'],
    about: "remove Lookout's hooks again, leaving the file as it was before the first install",
  },
  doctor: {
    usage: ['doctor [--dir PROJECT]'],
    about: 'check everything between your agents and Lookout, and say the command that fixes each problem',
    more: ['The server at the URL the hooks use, the token each installed hook sends and its scope, which hooks are', 'installed where (~/.claude, ~/.codex, the project), the events still spooled and why, Node\'s version.'],
  },
  ls: {
    usage: ['ls [--json] [--project P]', 'ls --hidden'],
    about: 'print the feed, with the ids of the prompts you can answer from here',
    more: ['--hidden: the sessions you hid (lookout unhide ID brings one back).'],
  },
  watch: { usage: ['watch [--project P]'], about: 'print the feed, then each change as it happens, with what to run to answer' },
  allow: { usage: ['allow ID [--always]'], about: 'allow a prompt once (or always, with the rule the agent offered); approve a plan', more: ['ID: the prompt\'s id, as lookout ls shows it.'] },
  deny: { usage: ['deny ID [--message TEXT]'], about: 'deny a prompt (or send a plan back), saying why or what to do instead' },
  answer: {
    usage: ['answer ID [OPTION...] [--other TEXT]', 'answer ID [FIELD=VALUE...] [--decline | --cancel]'],
    about: "answer a question with its options' labels (or words of your own), or fill in an MCP server's form",
    more: ['A form field that takes several values: FIELD=a,b. --decline or --cancel sends no values.'],
  },
  unhide: { usage: ['unhide ID'], about: 'bring a hidden session back into the feed' },
  flush: { usage: ['flush'], about: 'deliver the events the hooks kept while Lookout was unreachable' },
  token: {
    usage: ['token create --name N --scope report|read|act|admin [--person P]', 'token ls [--json]', 'token revoke ID'],
    about: 'scoped tokens: made (shown once), listed, revoked (needs an admin token)',
  },
  event: {
    usage: ['event --session ID [--speaker user|assistant] [--state working|waiting|idle] ...'],
    about: 'report for any agent',
    more: [
      '--reason permission|question|review|blocked|error, --detail TEXT, --close user|auto|abandoned,',
      '--uncommitted N, --title, --project, --cwd, --branch, --host, --link, --agent',
    ],
  },
  mcp: { usage: ['mcp'], about: 'a read-only MCP server on stdio: agents can read the feed, never change it' },
  migrate: { usage: ['migrate'], about: 'bring the database (DATABASE_URL) up to date, then exit (npm start does it too)' },
  hook: { usage: ['hook claude-code|codex'], about: 'what the installed hooks run: reads a hook payload on stdin, always exits 0' },
  notify: { usage: ['notify codex JSON'], about: "what Codex's notify runs at each turn's end" },
  help: { usage: ['help [COMMAND]'], about: 'this list, or one command with its options' },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

const OPTIONS = `Options: --url URL (else LOOKOUT_URL, else the server install wired the hooks to, else http://127.0.0.1:4000),
         --token TOKEN (else LOOKOUT_TOKEN), --help, --version`;

/** Every command, a line each. */
export function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((c) => c.usage.map((u, i) => (i === 0 ? `  ${u.padEnd(44)} ${c.about}` : `  ${u}`)));
  return `Usage: lookout <command> [options]\n\n${lines.join('\n')}\n\n${OPTIONS}\n\nlookout help COMMAND (or lookout COMMAND --help) says more of one.`;
}

/** One command, with its options; undefined when there is no such command. */
export function commandHelp(name: string): string | undefined {
  const help = COMMANDS[name];
  if (!help) return undefined;
  return [...help.usage.map((u, i) => `${i === 0 ? 'Usage:' : '      '} lookout ${u}`), '', `${help.about[0]!.toUpperCase()}${help.about.slice(1)}.`, ...(help.more?.length ? ['', ...help.more] : []), '', OPTIONS].join('\n');
}
