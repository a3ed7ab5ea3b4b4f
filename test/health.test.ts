// The probes a process manager or load balancer asks: alive, and ready to serve (the database can
// be read and every migration is applied). They hold no data, so they need no token.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery, ON_POSTGRESQL, sql, startServer, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const probe = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(server.url.replace(/\/graphql$/, path), { headers });
  return { status: res.status, body: await res.json(), cache: res.headers.get('cache-control') };
};

describe('health', () => {
  it('/healthz says alive and /readyz ready, without the token; never cached', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'health-token' });
    expect(await probe('/healthz')).toEqual({ status: 200, body: { status: 'alive', version: expect.stringMatching(/^\d+\.\d+\.\d+/) }, cache: 'no-store' });
    expect(await probe('/readyz')).toEqual({ status: 200, body: { status: 'ready' }, cache: 'no-store' });
    // Still the guard's: another site's page cannot read them either.
    expect((await fetch(server.url.replace(/\/graphql$/, '/readyz'), { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } })).status).toBe(403);
  });

  it('/readyz is 503, saying which, when a migration is not applied', async () => {
    server = await startServer();
    const [{ newest }] = (await sql<{ newest: string }>(server.database, 'SELECT MAX(migration_name) AS newest FROM "_prisma_migrations"')) as [{ newest: string }];
    await sql(server.database, `DELETE FROM "_prisma_migrations" WHERE migration_name = '${newest}'`);
    // Readiness is kept up to date in the background (once a second): it says so at its next look.
    await expect.poll(() => probe('/readyz')).toEqual({ status: 503, body: { status: 'not ready', problems: [`1 migration(s) not applied: ${newest}`] }, cache: 'no-store' });
    expect((await probe('/healthz')).status).toBe(200);
  });

  it.runIf(ON_POSTGRESQL)('/readyz is 503 when the database is gone, and says so without naming it', async () => {
    server = await startServer();
    const name = new URL(server.database).pathname.slice(1);
    await adminQuery(server.database, `DROP DATABASE "${name}" WITH (FORCE)`);
    await expect.poll(() => probe('/readyz')).toMatchObject({ status: 503 });
    const answer = await probe('/readyz');
    expect(answer).toEqual({ status: 503, body: { status: 'not ready', problems: ['The database cannot be reached (the reason is in the server log).'] }, cache: 'no-store' });
    expect(JSON.stringify(answer.body)).not.toContain(name);
    expect((await probe('/healthz')).status).toBe(200);
  });

  it.runIf(ON_POSTGRESQL)('/readyz and /metrics answer at once while the database answers nothing; /readyz says so after 5 s, and recovers', async () => {
    server = await startServer();
    const holder = new pg.Client({ connectionString: server.database });
    await holder.connect();
    try {
      // Every read of the log now waits (statements time out only after 15 s).
      await holder.query('BEGIN; LOCK TABLE "SessionEvent" IN ACCESS EXCLUSIVE MODE');
      const quick = () => ({ signal: AbortSignal.timeout(3_000) });
      expect((await fetch(server.url.replace(/\/graphql$/, '/metrics'), quick())).status).toBe(200);
      expect((await fetch(server.url.replace(/\/graphql$/, '/readyz'), quick())).status).toBe(200);
      await expect.poll(() => probe('/readyz'), { timeout: 12_000 }).toMatchObject({ status: 503, body: { problems: [expect.stringMatching(/^The database has not answered for \d+ s\.$/)] } });
      expect((await fetch(server.url.replace(/\/graphql$/, '/metrics'), quick())).status).toBe(200);
      await holder.query('ROLLBACK');
      await expect.poll(() => probe('/readyz'), { timeout: 20_000 }).toMatchObject({ status: 200 });
    } finally {
      await holder.end();
    }
  }, 40_000);
});
