import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import { printSdl, SDL_FILE } from '../api/print-schema.ts';

describe('checked-in artifacts match the code', () => {
  it('api/schema.graphql is the printed schema (run `npm run schema` after changing it)', async () => {
    expect(await readFile(SDL_FILE, 'utf8')).toBe(printSdl());
  });

  it('the checked-in migrations build the database prisma/schema.prisma describes', async () => {
    // What the schema file describes, as SQL from Prisma itself...
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['node_modules/prisma/build/index.js', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { env: { ...process.env, DATABASE_URL: 'file::memory:' } },
    );
    const fromSchema = new Database(':memory:');
    fromSchema.exec(stdout);
    // ...against the template database that `migrate deploy` built from prisma/migrations.
    const fromMigrations = new Database(inject('templateDatabase'), { readonly: true });
    expect(describeDatabase(fromMigrations)).toEqual(describeDatabase(fromSchema));
    fromSchema.close();
    fromMigrations.close();
  });
});

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
