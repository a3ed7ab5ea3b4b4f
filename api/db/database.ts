// Opens Lookout's database, after bringing its schema up to date: the SQLite file (the default,
// one process: api/db/sqlite.ts) or PostgreSQL (any number of processes: api/db/postgresql.ts).
import type { OpenedDatabase } from './opened-database.ts';
import { isPostgresqlUrl, migratePostgresql, openPostgresql } from './postgresql.ts';
import { migrateSqlite, openSqlite } from './sqlite.ts';

/** `file:…` (a path) opens SQLite; `postgresql://…` PostgreSQL. */
export function openDatabase(location: string): Promise<OpenedDatabase> {
  return isPostgresqlUrl(location) ? openPostgresql(location) : openSqlite(location.replace(/^file:/, ''));
}

/** Only brings the database's schema up to date (`lookout migrate`); returns the names applied. */
export function migrateDatabase(location: string): Promise<string[]> {
  return isPostgresqlUrl(location) ? migratePostgresql(location) : migrateSqlite(location.replace(/^file:/, ''));
}
