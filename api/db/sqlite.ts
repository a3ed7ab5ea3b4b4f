// Lookout's SQLite file (the default: one process): migrated by Prisma's own `migrate deploy`, then
// opened twice, by the attention store (its own better-sqlite3 connection) and by Prisma.
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import Database, { type Statement } from 'better-sqlite3';
import { ALONE } from './announcements.ts';
import { PROJECT_ROOT } from '../../shared/paths.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { PrismaInsightsStore } from './insights-store.ts';
import type { OpenedDatabase } from './opened-database.ts';
import { converted, selectAll, type SmallTable } from './small-tables.ts';
import { SqliteAttentionStore } from './sqlite-store.ts';

const migrationsDir = path.join(PROJECT_ROOT, 'prisma', 'migrations');
const BUSY_TIMEOUT_MS = 5_000;

/** The checked-in migrations, by name. */
async function checkedInMigrations(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Which of `all` the database, through this connection, has not applied. */
function unapplied(db: Database.Database, all: string[]): string[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
  if (!table) return all;
  const rows = db
    .prepare('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
    .all() as { migration_name: string }[];
  const applied = new Set(rows.map((r) => r.migration_name));
  return all.filter((name) => !applied.has(name));
}

async function pendingMigrations(file: string): Promise<string[]> {
  const db = new Database(file, { fileMustExist: false });
  try {
    return unapplied(db, await checkedInMigrations());
  } finally {
    db.close();
  }
}

/**
 * Creates the file and applies checked-in migrations with Prisma's own `migrate deploy`, only when
 * some are pending (the check is a quick read, the CLI takes seconds); returns the names applied.
 */
export async function migrateSqlite(file: string): Promise<string[]> {
  await mkdir(path.dirname(file), { recursive: true });
  const pending = await pendingMigrations(file);
  if (pending.length === 0) return [];
  const prismaCli = path.join(PROJECT_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  await promisify(execFile)(process.execPath, [prismaCli, 'migrate', 'deploy'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: `file:${file}`, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  return pending;
}

/** Brings the file's schema up to date and opens both connections to it. */
export async function openSqlite(file: string): Promise<OpenedDatabase> {
  await migrateSqlite(file);
  const migrations = await checkedInMigrations();
  // The store first: it switches the file to WAL, which Prisma's connection then shares.
  const store = new SqliteAttentionStore(file);
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: file, timeout: BUSY_TIMEOUT_MS }) });
  // A probe's connection: quick reads (the small tables too), and no file system work.
  const probe = new Database(file, { fileMustExist: true, readonly: true, timeout: BUSY_TIMEOUT_MS });
  const reads = new Map<SmallTable, Statement>();
  return {
    store,
    db,
    tables: {
      async all(table) {
        let read = reads.get(table);
        if (!read) reads.set(table, (read = probe.prepare(selectAll(table))));
        return (read.all() as Record<string, unknown>[]).map((row) => converted(table, row));
      },
    },
    insights: new PrismaInsightsStore(db, 'sqlite'),
    announcements: ALONE,
    async problems() {
      let pending: string[];
      try {
        pending = unapplied(probe, migrations);
      } catch (error) {
        // Said to anyone who asks (the probe needs no token): the reason goes to the log only.
        console.error('Readiness: the database cannot be read:', (error as Error).message);
        return ['The database cannot be read (the reason is in the server log).'];
      }
      return pending.length ? [`${pending.length} migration(s) not applied: ${pending.join(', ')}`] : [];
    },
    async close() {
      await db.$disconnect();
      probe.close();
      await store.close();
    },
  };
}
