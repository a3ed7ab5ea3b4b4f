import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ON_POSTGRESQL, RECORD_SPEAKER, startServer } from './helpers.ts';

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
  it('runs the build, creates and migrates a new database file, serves, and on SIGTERM (as from a process manager) says "not ready" while still serving, then shuts down', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lookout-start-'));
    // npm itself, as a process manager starts it (its prestart build is what `npm test` has just done).
    const child = spawn('npm', ['start', '--ignore-scripts'], {
      env: { ...process.env, PORT: '0', DATABASE_URL: `file:${path.join(dir, 'nested', 'lookout.db')}`, LOOKOUT_DRAIN_SECONDS: '2' },
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
    // The build is one bundle; GraphiQL's renderer, left out of it, is loaded when first asked for.
    const graphiql = await fetch(url, { headers: { accept: 'text/html' } });
    expect([graphiql.status, await graphiql.text()]).toEqual([200, expect.stringContaining('<title>Lookout</title>')]);
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

