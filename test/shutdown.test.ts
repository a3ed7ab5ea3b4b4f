import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ON_POSTGRESQL, RECORD_ACTIVITY, RECORD_SPEAKER, startServer } from './helpers.ts';

describe('graceful shutdown', () => {
  it('finishes accepted writes, closes sockets with 1001, and loses nothing it acknowledged', async () => {
    const server = await startServer();
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closeCode = new Promise<number>((resolve) => socket.once('close', resolve));

    const writes = Array.from({ length: 40 }, (_, i) =>
      server.gql(RECORD_SPEAKER, { input: { sessionId: `s${i}`, speaker: 'ASSISTANT' } }).then(
        (r) => (r.data?.recordSpeaker.__typename === 'MutationRecordSpeakerSuccess' ? `s${i}` : null),
        () => null,
      ),
    );
    await Promise.race(writes); // requests are reaching the server
    await server.stop();
    expect(await closeCode).toBe(1001);
    const acknowledged = (await Promise.all(writes)).filter(Boolean);
    expect(acknowledged.length).toBeGreaterThan(0);

    const again = await startServer({}, { database: server.database });
    const { data } = await again.gql(`{ attentionSessions(first: 100) { edges { node { id } } } }`);
    const stored = data.attentionSessions.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(stored).toEqual(expect.arrayContaining(acknowledged));
    await again.stop();
  });
});

// `npm start` with its default SQLite file: the same on either project, so run once.
describe.skipIf(ON_POSTGRESQL)('npm start', () => {
  const hooks: Server[] = [];
  afterEach(() => hooks.splice(0).forEach((hook) => hook.close()));

  it('runs the build, creates and migrates a new database file, serves, and on SIGTERM (as from a process manager) says "not ready" while still serving, then shuts down', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-start-'));
    // A webhook, to see a delivery go out through the part of the build loaded on first use.
    const delivered = new Promise<string>((resolve) => {
      const hook = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk)).on('end', () => {
          res.end();
          hook.close();
          resolve(body);
        });
      });
      hooks.push(hook);
    });
    await new Promise<void>((resolve) => hooks[0]!.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hooks[0]!.address() as AddressInfo).port}/hook`;
    // npm itself, as a process manager starts it (its prestart build is what `npm test` has just done).
    const child = spawn('npm', ['start', '--ignore-scripts'], {
      env: { ...process.env, PORT: '0', DATABASE_URL: `file:${path.join(dir, 'nested', 'lookout.db')}`, LOOKOUT_DRAIN_SECONDS: '2', LOOKOUT_WEBHOOKS: `json=${hookUrl}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk) => (output += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /GraphiQL: (\S+)\)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', () => reject(new Error(`exited early: ${output}`)));
    });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ attentionSummary { total } }' }) });
    expect(await res.json()).toEqual({ data: { attentionSummary: { total: 0 } } });
    // The limits, which parse with graphql's own parser, still answer through the bundle (which the
    // build checks holds graphql once, as its ES modules).
    const tooLong = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query: `{ ${'__typename '.repeat(2100)}}` }) });
    expect([tooLong.status, (await tooLong.json()).errors[0].message]).toEqual([400, expect.stringMatching(/token/i)]);
    // It started from the code cache its build made (a cache it could not use is said on stderr).
    expect((await stat('dist/server.cjs.cache')).size).toBeGreaterThan(0);
    expect(output).not.toMatch(/cache/i);
    // The build is one bundle; GraphiQL's renderer, left out of it, is loaded when first asked for.
    const graphiql = await fetch(url, { headers: { accept: 'text/html' } });
    expect([graphiql.status, await graphiql.text()]).toEqual([200, expect.stringContaining('<title>Lookout</title>')]);
    // So is undici, for deliveries: a prompt reaches the webhook.
    const record = (query: string, input: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { input } }) }).then((r) => r.json());
    await record(RECORD_SPEAKER, { sessionId: 'bundled', speaker: 'USER', title: 'Bundled' });
    await record(RECORD_ACTIVITY, { sessionId: 'bundled', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: ls' });
    expect(JSON.parse(await delivered)).toMatchObject({ event: 'needs_you', session: { id: 'bundled', title: 'Bundled' } });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The signal goes to npm, not to node: the server must hear it, shut down, and leave the port.
    child.kill('SIGTERM');
    const readyz = url.replace(/\/graphql$/, '/readyz');
    while ((await fetch(readyz)).status === 200);
    // Draining: not ready, and still answering what comes meanwhile.
    expect(await (await fetch(readyz)).json()).toEqual({ status: 'not ready', problems: [expect.stringMatching(/^Shutting down/)] });
    const meanwhile = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ attentionSummary { total } }' }) });
    expect(meanwhile.status).toBe(200);
    expect(await exit).toBe(0);
    expect(output).toContain('SIGTERM: not ready for 2 s, then finishing in-flight work and shutting down');
    await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 30_000);

  it('on a port already in use, says so in one line and exits non-zero', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-busy-'));
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    const child = spawn(process.execPath, ['dist/server.mjs'], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: `file:${path.join(dir, 'lookout.db')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    busy.close();
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `Port ${port} is in use: set PORT to a free one (0 picks any).\n` });
  }, 30_000);
});

