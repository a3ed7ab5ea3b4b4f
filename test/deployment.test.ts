// The team deployment (docker-compose.yml, Dockerfile). No Docker engine runs here: the compose
// file is validated by docker-compose itself, and its topology is run natively on PostgreSQL (a
// one-shot `lookout migrate`, then two replicas with the environment compose gives them).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../api/config.ts';
import { CLI } from './cli-helpers.ts';
import { adminQuery, ON_POSTGRESQL, RECORD_SPEAKER } from './helpers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

/** `docker-compose config` with an env file: the resolved file, or what docker-compose refused. */
async function composeConfig(env: Record<string, string>, profile = 'team'): Promise<{ config?: any; error?: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-compose-'));
  const envFile = path.join(dir, '.env');
  await writeFile(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  try {
    const { stdout } = await run('docker-compose', ['--profile', profile, '--env-file', envFile, '-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      env: { PATH: process.env.PATH },
    });
    return { config: parse(stdout) };
  } catch (error) {
    return { error: (error as { stderr: string }).stderr };
  }
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
});

describe.skipIf(ON_POSTGRESQL)('docker-compose.yml', () => {
  it('is valid: PostgreSQL with a healthcheck and a volume, a one-shot migration, two replicas behind a proxy', async () => {
    // A password with the characters a URL would misread: it goes as PGPASSWORD, untouched.
    const { config, error } = await composeConfig({ LOOKOUT_TOKEN: 'team-secret', POSTGRES_PASSWORD: 'p@ss/w#rd', LOOKOUT_ALLOWED_HOSTS: 'lookout.example.com' });
    expect(error).toBeUndefined();
    const { postgres, migrate, proxy, single } = config.services;
    expect(postgres.healthcheck.test).toEqual(['CMD-SHELL', 'pg_isready -U lookout -d lookout']);
    expect(postgres.volumes).toEqual([expect.stringMatching(/^postgres-data:\/var\/lib\/postgresql\/data(:rw)?$/)]);
    expect(Object.keys(config.volumes).sort()).toEqual(['lookout-data', 'postgres-data']);
    expect(migrate.command).toEqual(['node', 'dist/lookout.mjs', 'migrate']);
    expect(migrate.restart).toBe('no');
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['lookout-a', 'lookout-b']) {
      const replica = config.services[name];
      expect(replica.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
      expect(replica.environment).toMatchObject({
        LOOKOUT_TOKEN: 'team-secret',
        LOOKOUT_ALLOWED_HOSTS: 'localhost,lookout-a,lookout-b,single,lookout.example.com',
        DATABASE_URL: 'postgresql://lookout@postgres:5432/lookout',
        PGPASSWORD: 'p@ss/w#rd',
      });
      expect(postgres.environment.POSTGRES_PASSWORD).toBe('p@ss/w#rd');
      // What Lookout makes of that environment: every name allowed, the password untouched.
      const lookoutConfig = loadConfig(replica.environment);
      expect(lookoutConfig.allowedHosts).toEqual(['localhost', 'lookout-a', 'lookout-b', 'single', 'lookout.example.com']);
      expect(new URL(lookoutConfig.database).hostname).toBe('postgres');
      expect(replica.build.context).toBe(ROOT.replace(/\/$/, ''));
    }
    // The proxy sends only to replicas whose /readyz says ready.
    expect(proxy.volumes).toEqual([expect.stringMatching(/\/deploy\/Caddyfile:\/etc\/caddy\/Caddyfile:ro$/)]);
    const caddyfile = await readFile(path.join(ROOT, 'deploy', 'Caddyfile'), 'utf8');
    expect(caddyfile).toMatch(/reverse_proxy lookout-a:4000 lookout-b:4000 \{[^}]*health_uri \/readyz/);
    expect(await readFile(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^\.git$/m);
    expect(single.environment.DATABASE_URL).toBe('file:/app/data/lookout.db');
    expect(single.volumes).toEqual([expect.stringMatching(/^lookout-data:\/app\/data(:rw)?$/)]);
  });

  it('refuses to start without LOOKOUT_TOKEN, saying where to set it', async () => {
    const { error } = await composeConfig({ POSTGRES_PASSWORD: 'pw' });
    expect(error).toMatch(/set LOOKOUT_TOKEN in \.env/);
  });

  it("the image: Node 20 slim, built in a separate stage, run by a non-root user under an init, with a healthcheck", async () => {
    const dockerfile = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:20-slim', 'build'],
      ['node:20-slim', undefined],
    ]);
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(final).toMatch(/^CMD \["node", "dist\/server\.mjs"\]$/m);
    expect(final).toMatch(/^HEALTHCHECK .*\n.*\/readyz/m);
    // Compiled in the build stage only: the final stage has no compiler.
    expect(dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '))).toMatch(/g\+\+/);
    expect(final).not.toMatch(/g\+\+|npm ci|npm install/);
  });
});

describe.runIf(ON_POSTGRESQL)('the compose topology, run natively', () => {
  it('the one-shot migration brings a new database up to date (and then has nothing to do); both replicas serve from it', async () => {
    const url = new URL(inject('templateDatabase'));
    url.pathname = `${url.pathname.replace(/_template$/, '')}_compose_${process.pid}`;
    const database = url.toString();
    await adminQuery(database, `CREATE DATABASE "${url.pathname.slice(1)}"`);
    // As compose gives it: the password apart, as PGPASSWORD (this server trusts loopback, so any password passes).
    const env = { ...process.env, DATABASE_URL: database, PGPASSWORD: 'p@ss/w#rd', LOOKOUT_TOKEN: 'team-secret', HOST: '127.0.0.1' };
    const first = await run(process.execPath, [CLI, 'migrate'], { env });
    const migrations = (await readdir(new URL('../prisma/postgresql/migrations/', import.meta.url), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(first.stdout).toContain(`Applied ${migrations.length} migration(s) to postgresql://…@127.0.0.1:5432/${url.pathname.slice(1)}: ${migrations.join(', ')}\n`);
    expect(first.stdout).not.toContain('postgres@');
    expect((await run(process.execPath, [CLI, 'migrate'], { env })).stdout).toMatch(/is up to date\.$/m);

    const urls = await Promise.all(
      ['a', 'b'].map(async () => {
        const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.mjs')], { env: { ...env, PORT: '0', LOOKOUT_DRAIN_SECONDS: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        let output = '';
        for await (const chunk of child.stdout!) {
          output += chunk;
          const match = /running at (http:\/\/\S+) /.exec(output);
          if (match) return match[1]!;
        }
        throw new Error(`A replica did not start: ${output}`);
      }),
    );
    const gql = async (base: string, query: string, variables?: object) =>
      (await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer team-secret' }, body: JSON.stringify({ query, variables }) })).json();
    await gql(urls[0]!, RECORD_SPEAKER, { input: { sessionId: 'through-a', speaker: 'ASSISTANT' } });
    for (const base of urls) {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const session = await gql(base, '{ session(id: "through-a") { id } }');
      expect(session).toEqual({ data: { session: { id: 'through-a' } } });
    }
  });
});
