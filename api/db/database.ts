// Opens Lookout's database, after bringing its schema up to date: the SQLite file (the default,
// one process: api/db/sqlite.ts) or PostgreSQL (any number of processes: api/db/postgresql.ts).
// Each engine's code is loaded when its database is opened: a start on SQLite has no use for pg and
// Prisma's PostgreSQL client, whose loading was part of every start (`npm run bench`, startup).
import type { OpenedDatabase } from './opened-database.ts';

/** `postgresql://…` (or `postgres://…`) opens PostgreSQL; anything else is a SQLite file. */
export const isPostgresqlUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** `file:…` (a path) opens SQLite; `postgresql://…` PostgreSQL. */
export async function openDatabase(location: string): Promise<OpenedDatabase> {
  if (isPostgresqlUrl(location)) return (await import('./postgresql.ts')).openPostgresql(location);
  return (await import('./sqlite.ts')).openSqlite(location.replace(/^file:/, ''));
}

/** Only brings the database's schema up to date (`lookout migrate`); returns the names applied. */
export async function migrateDatabase(location: string): Promise<string[]> {
  if (isPostgresqlUrl(location)) return (await import('./postgresql.ts')).migratePostgresql(location);
  return (await import('./sqlite.ts')).migrateSqlite(location.replace(/^file:/, ''));
}
