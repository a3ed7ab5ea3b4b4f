// Applies the checked-in PostgreSQL migrations (prisma/postgresql/migrations) the way Prisma's own
// `migrate deploy` would, which cannot run here (its schema engine fails on PostgreSQL): each
// pending migration in its own transaction, recorded in `_prisma_migrations` with Prisma's
// checksum, so that `prisma migrate status` agrees. Runners starting together (replicas, the
// one-shot migration service) queue on an advisory lock: one applies, the others then find nothing to do.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT } from '../../shared/paths.ts';

export const POSTGRESQL_MIGRATIONS = path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'migrations');
/** The advisory lock migration runners queue on (any number; the log's writers use another). */
const MIGRATION_LOCK = 7_412_001;

// Prisma's own table, as its schema engine creates it.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The checked-in migrations, oldest first. */
export async function checkedInMigrations(folder = POSTGRESQL_MIGRATIONS): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Which of `all` the database has not applied. */
export async function unappliedMigrations(client: pg.ClientBase, all: string[]): Promise<string[]> {
  const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`);
  if (!rows[0]!.exists) return all;
  const applied = await client.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const names = new Set(applied.rows.map((r) => r.migration_name));
  return all.filter((name) => !names.has(name));
}

/**
 * Applies every pending migration, each in one transaction; returns the names applied. A migration
 * that fails is rolled back whole and stops the run with a MigrationError naming it.
 */
export async function applyMigrations(client: pg.ClientBase, folder = POSTGRESQL_MIGRATIONS): Promise<string[]> {
  const all = await checkedInMigrations(folder);
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(MIGRATIONS_TABLE);
    const applied: string[] = [];
    for (const name of await unappliedMigrations(client, all)) {
      const sql = await readFile(path.join(folder, name, 'migration.sql'), 'utf8');
      const startedAt = new Date();
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, $4, 1)`,
          [randomUUID(), createHash('sha256').update(sql).digest('hex'), name, startedAt],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`Migration ${name} failed and was rolled back, nothing of it applied: ${(error as Error).message}`);
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
