// Runs the real Claude Code CLI against a scripted model and Lookout, all on loopback inside the
// suite's network namespace: headless (`claude -p`) as a child process, interactive under tmux.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeRepo, runCli } from '../cli-helpers.ts';
import { agentBinary } from './versions.ts';

const API_KEY = 'sk-ant-lookout-suite-0000000000000000000000';

/** The suite runs only where nothing can reach the network: a namespace with loopback alone. */
export function assertNoNetwork(): void {
  const interfaces = Object.keys(networkInterfaces());
  if (interfaces.some((name) => name !== 'lo')) {
    throw new Error(`The agent suite must run inside a network namespace with loopback only (npm run test:agents); found ${interfaces.join(', ')}.`);
  }
}

export interface Project {
  repo: string;
  home: string;
  env: Record<string, string>;
}

/** A git repository with Lookout's hooks installed, and a home where Claude Code skips its first-run screens. */
export async function claudeCodeProject(name: string, lookoutOrigin: string, modelUrl: string, installArgs: string[] = []): Promise<Project> {
  const repo = await makeRepo(name);
  const home = await mkdtemp(path.join(tmpdir(), 'lookout-agent-home-'));
  await writeFile(
    path.join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: 'dark',
      customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
      // Its one-time warning before the first bypassPermissions session, accepted.
      bypassPermissionsModeAccepted: true,
      projects: { [repo]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    }),
  );
  const env = {
    HOME: home,
    LOOKOUT_HOME: path.join(home, '.lookout'),
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: API_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    // The suite runs as root (CI): Claude Code refuses bypassPermissions to root outside a sandbox, which this namespace is.
    IS_SANDBOX: '1',
  };
  const installed = await runCli(['install', 'claude-code', '--dir', repo, '--url', lookoutOrigin, ...installArgs], env);
  if (installed.code !== 0) throw new Error(`lookout install failed: ${installed.stderr}`);
  return { repo, home, env };
}

/** The MCP server whose one tool, mcp__deployer__deploy, asks the user a form (elicitation-server.mjs), named by the project and allowed to run. */
export async function withDeployer(project: Project): Promise<void> {
  const server = fileURLToPath(new URL('./elicitation-server.mjs', import.meta.url));
  await writeFile(path.join(project.repo, '.mcp.json'), JSON.stringify({ mcpServers: { deployer: { command: process.execPath, args: [server] } } }));
  const file = path.join(project.repo, '.claude', 'settings.local.json');
  const settings = JSON.parse(await readFile(file, 'utf8'));
  await writeFile(file, JSON.stringify({ ...settings, enableAllProjectMcpServers: true, permissions: { allow: ['mcp__deployer__deploy'] } }, null, 2));
}

export interface Headless {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  child: ChildProcess;
}

/** `claude -p PROMPT` in the project, as a person runs it. */
export function runHeadless(project: Project, prompt: string, args: string[] = []): Headless {
  const child = spawn(agentBinary('claude-code'), ['-p', prompt, ...args], { cwd: project.repo, env: { ...process.env, ...project.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { done, child };
}

// A tmux server of this run's own: its socket is a file, shared with every other run on the machine.
const TMUX_SOCKET = `lookout-agents-${process.pid}`;
const tmux = (...args: string[]) => promisify(execFile)('tmux', ['-L', TMUX_SOCKET, ...args]).then((r) => r.stdout);

/** The interactive CLI in a tmux window of its own. */
export async function startInteractive(project: Project, name: string, args: string[] = []) {
  const envArgs = Object.entries(project.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  await tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', project.repo, ...envArgs, agentBinary('claude-code'), ...args);
  const screen = () => tmux('capture-pane', '-p', '-t', name);
  /** Waits until the screen shows `what`: the signal that the CLI has drawn it. */
  const shows = async (what: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await screen();
      if (what.test(now)) return now;
      if (Date.now() > deadline) throw new Error(`The screen never showed ${what}:\n${now}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  // Ready for input once its prompt box is drawn (typing earlier is lost).
  await shows(/^❯/m);
  return {
    screen,
    shows,
    keys: (...keys: string[]) => tmux('send-keys', '-t', name, ...keys),
    stop: () => tmux('kill-session', '-t', name).catch(() => ''),
  };
}
