// The real Codex CLI (the pinned version, test/agents/versions.ts) against a scripted Responses API
// and Lookout with its hooks installed, inside the suite's network namespace (npm run test:agents).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, runCli } from '../cli-helpers.ts';
import { startServer, type TestServer } from '../helpers.ts';
import { assertNoNetwork } from './claude-code-helpers.ts';
import { type ScriptedResponses, startScriptedResponses } from './scripted-responses.ts';
import { agentBinary } from './versions.ts';

let server: TestServer;
let model: ScriptedResponses;
beforeAll(() => assertNoNetwork());
afterEach(async () => {
  await model?.close();
  await server?.stop();
});

const SESSIONS = `{ sessions(first: 5) { edges { node { id agent state closedBy lastSpeaker uncommittedFiles attention { reason detail } } } } }`;

describe('codex exec', () => {
  it('a turn with a shell command, reported by the installed hooks: the session is Codex\'s, and its Stop ends the headless run with what it said and left', async () => {
    server = await startServer();
    model = await startScriptedResponses('echo hi > out.txt');
    const repo = await makeRepo('codex-exec');
    const home = await mkdtemp(path.join(tmpdir(), 'lookout-codex-home-'));
    await mkdir(path.join(home, '.codex'));
    await writeFile(
      path.join(home, '.codex', 'config.toml'),
      `model = "gpt-5"\nmodel_provider = "scripted"\n[model_providers.scripted]\nname = "scripted"\nbase_url = "${model.url}"\nwire_api = "responses"\nenv_key = "SCRIPTED_KEY"\n`,
    );
    const env = { HOME: home, CODEX_HOME: path.join(home, '.codex'), SCRIPTED_KEY: 'key', LOOKOUT_HOME: path.join(home, '.lookout') };
    expect((await runCli(['install', 'codex', '--dir', repo, '--url', server.url.replace(/\/graphql$/, '')], env)).code).toBe(0);
    // --trust reads the project's .codex layer; a new hook runs only once trusted (/hooks in the
    // interactive CLI), which this run grants for itself.
    const codex = spawn(agentBinary('codex'), ['exec', '--trust', '--dangerously-bypass-hook-trust', '--skip-git-repo-check', '--sandbox', 'workspace-write', 'Write hi to out.txt'], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    codex.stdout!.on('data', (chunk) => (output += chunk));
    codex.stderr!.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => codex.on('exit', resolve));
    expect(code, output).toBe(0);
    expect(await model.commandOutput()).toBeDefined();
    expect(await readFile(path.join(repo, 'out.txt'), 'utf8')).toBe('hi\n');
    const sessions = (await server.gql(SESSIONS)).data.sessions.edges.map((e: any) => e.node);
    expect(sessions).toEqual([
      {
        id: expect.any(String),
        agent: 'codex',
        state: 'ENDED',
        closedBy: 'AUTO',
        lastSpeaker: 'ASSISTANT',
        // out.txt, and the project's .codex/hooks.json that install wrote (the repository's, to commit).
        uncommittedFiles: 2,
        attention: { reason: 'UNCOMMITTED_WORK', detail: null },
      },
    ]);
  });
});
