import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import { POSTGRESQL_SCHEMA, postgresqlSchema, SQLITE_SCHEMA } from '../api/db/print-postgresql-schema.ts';
import { printSdl, SDL_FILE } from '../api/print-schema.ts';
import { adminQuery, ON_POSTGRESQL, sql } from './helpers.ts';

/** What Prisma itself makes of a schema file: the SQL that builds it from nothing. */
async function schemaAsSql(schema: string, databaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['node_modules/prisma/build/index.js', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', schema, '--script'],
    { env: { ...process.env, DATABASE_URL: databaseUrl } },
  );
  return stdout;
}

describe('checked-in artifacts match the code', () => {
  // The files themselves, the same on either project: checked once.
  it.skipIf(ON_POSTGRESQL)('api/schema.graphql is the printed schema (run `npm run schema` after changing it)', async () => {
    expect(await readFile(SDL_FILE, 'utf8')).toBe(printSdl());
  });

  it.skipIf(ON_POSTGRESQL)('prisma/postgresql/schema.prisma is made from prisma/schema.prisma (run `npm run schema:postgresql` after changing it)', async () => {
    expect(await readFile(POSTGRESQL_SCHEMA, 'utf8')).toBe(postgresqlSchema(await readFile(SQLITE_SCHEMA, 'utf8')));
  });

  it.skipIf(ON_POSTGRESQL)('the checked-in migrations build the database prisma/schema.prisma describes', async () => {
    // What the schema file describes, as SQL from Prisma itself...
    const fromSchema = new Database(':memory:');
    fromSchema.exec(await schemaAsSql('prisma/schema.prisma', 'file::memory:'));
    // ...against the template database that `migrate deploy` built from prisma/migrations.
    const fromMigrations = new Database(inject('templateDatabase'), { readonly: true });
    expect(describeDatabase(fromMigrations)).toEqual(describeDatabase(fromSchema));
    fromSchema.close();
    fromMigrations.close();
  });

  it.runIf(ON_POSTGRESQL)('the checked-in PostgreSQL migrations build the database prisma/postgresql/schema.prisma describes', async () => {
    // The template database, built by Lookout's runner from prisma/postgresql/migrations...
    const fromMigrations = inject('templateDatabase');
    // ...against a new database built from what Prisma makes of the schema file.
    const url = new URL(fromMigrations);
    url.pathname = `${url.pathname}_from_schema`;
    const fromSchema = url.toString();
    await adminQuery(fromSchema, `CREATE DATABASE "${url.pathname.slice(1)}"`);
    await sql(fromSchema, await schemaAsSql(POSTGRESQL_SCHEMA, fromSchema));
    expect(await describePostgresql(fromMigrations)).toEqual(await describePostgresql(fromSchema));
    // Prisma's CLI runs as a process, beside the rest of the suite.
  }, 60_000);
});

async function describePostgresql(database: string) {
  const [described] = await sql(
    database,
    `SELECT
      (SELECT json_agg(c ORDER BY c.table_name, c.column_name) FROM (SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations') c) AS columns,
      (SELECT json_agg(i ORDER BY i.indexname) FROM (SELECT tablename, indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> '_prisma_migrations') i) AS indexes,
      (SELECT json_agg(k ORDER BY k.conname) FROM (SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint
         WHERE connamespace = 'public'::regnamespace AND conname NOT LIKE '\_prisma%') k) AS constraints,
      (SELECT json_agg(e ORDER BY e.typname, e.enumsortorder) FROM (SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_enum e
         JOIN pg_type t ON t.oid = e.enumtypid) e) AS enums`,
  );
  return described;
}

function describeDatabase(db: Database.Database) {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%' ORDER BY name")
    .pluck()
    .all() as string[];
  return tables.map((table) => ({
    table,
    columns: db.pragma(`table_info("${table}")`),
    foreignKeys: db.pragma(`foreign_key_list("${table}")`),
    indexes: (db.pragma(`index_list("${table}")`) as { name: string; unique: number }[])
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((index) => ({ ...index, columns: db.pragma(`index_info("${index.name}")`) })),
  }));
}
