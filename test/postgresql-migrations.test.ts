// Lookout's PostgreSQL migration runner (Prisma's own `migrate deploy` cannot run here): a fresh
// database, an up-to-date one, runners started together, and a migration that fails.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { applyMigrations, checkedInMigrations, MigrationError, POSTGRESQL_MIGRATIONS } from '../api/db/postgresql-migrations.ts';
import { adminQuery, ON_POSTGRESQL, sql } from './helpers.ts';

const connections: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((client) => client.end()));
});

let made = 0;
/** A new, empty database (not the migrated template). */
async function emptyDatabase(): Promise<string> {
  const url = new URL(inject('templateDatabase'));
  url.pathname = `${url.pathname.replace(/_template$/, '')}_empty_${process.pid}_${++made}`;
  await adminQuery(url.toString(), `CREATE DATABASE "${url.pathname.slice(1)}"`);
  return url.toString();
}

async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  connections.push(client);
  return client;
}

/** What Prisma's own CLI says of the database: it reads `_prisma_migrations` and compares checksums. */
async function prismaStatus(database: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['node_modules/prisma/build/index.js', 'migrate', 'status'], {
    env: { ...process.env, DATABASE_URL: database },
  }).catch((error: { stdout: string }) => error);
  return stdout;
}

// Each test runs the migration runner and Prisma's CLI as processes: on a machine running the rest of
// the suite beside them, they take longer than the default limit.
describe.runIf(ON_POSTGRESQL)('PostgreSQL migrations', { timeout: 60_000 }, () => {
  it('a fresh database gets every migration, recorded so that Prisma agrees; run again, nothing happens', async () => {
    const database = await emptyDatabase();
    expect(await prismaStatus(database)).toMatch(/have not yet been applied/);
    const all = await checkedInMigrations();
    expect(await applyMigrations(await connect(database))).toEqual(all);
    expect(await prismaStatus(database)).toMatch(/Database schema is up to date!/);
    expect(await applyMigrations(await connect(database))).toEqual([]);
    const rows = await sql<{ migration_name: string; applied_steps_count: number }>(database, 'SELECT migration_name, applied_steps_count FROM "_prisma_migrations"');
    expect(rows).toEqual(all.map((name) => ({ migration_name: name, applied_steps_count: 1 })));
  });

  it('runners started together: one applies, the others wait for it and find nothing to do', async () => {
    const database = await emptyDatabase();
    const runs = await Promise.all([1, 2, 3].map(async () => applyMigrations(await connect(database))));
    expect(runs.filter((applied) => applied.length > 0)).toEqual([await checkedInMigrations()]);
    expect(runs.filter((applied) => applied.length === 0)).toHaveLength(2);
    expect(await prismaStatus(database)).toMatch(/Database schema is up to date!/);
  });

  it('a migration that fails is rolled back whole, says which and why, and is applied once fixed', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'lookout-migrations-'));
    await cp(POSTGRESQL_MIGRATIONS, folder, { recursive: true });
    const broken = path.join(folder, '29990101000000_broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'migration.sql'), 'CREATE TABLE "Half" ("id" TEXT PRIMARY KEY);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n');
    const database = await emptyDatabase();

    const failed = applyMigrations(await connect(database), folder);
    await expect(failed).rejects.toThrow(MigrationError);
    await expect(failed).rejects.toThrow(/Migration 29990101000000_broken failed and was rolled back, nothing of it applied: relation "NoSuchTable" does not exist/);
    // The ones before it are applied; nothing of it is, and it is not recorded.
    expect(await sql(database, `SELECT to_regclass('"Half"') AS half`)).toEqual([{ half: null }]);
    const recorded = await sql<{ migration_name: string }>(database, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(recorded.map((r) => r.migration_name)).toEqual(await checkedInMigrations());

    await writeFile(path.join(broken, 'migration.sql'), 'CREATE TABLE "Half" ("id" TEXT PRIMARY KEY);\n');
    expect(await applyMigrations(await connect(database), folder)).toEqual(['29990101000000_broken']);
  });
});
