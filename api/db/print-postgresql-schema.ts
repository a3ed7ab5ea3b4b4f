// `npm run schema:postgresql`: the PostgreSQL Prisma schema, made from the SQLite one so that the
// two never drift: the same models, another provider, its own generated client.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../shared/paths.ts';

export const SQLITE_SCHEMA = path.join(PROJECT_ROOT, 'prisma', 'schema.prisma');
export const POSTGRESQL_SCHEMA = path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'schema.prisma');

export function postgresqlSchema(sqlite: string): string {
  const generators = /generator client \{[^}]*\}\s*generator pothos \{[^}]*\}/;
  if (!generators.test(sqlite) || !sqlite.includes('provider = "sqlite"')) throw new Error('prisma/schema.prisma has changed shape: update print-postgresql-schema.ts');
  return (
    '// Made by `npm run schema:postgresql` from ../schema.prisma: edit that one.\n' +
    sqlite
      .replace(/^\/\/.*\n/, '')
      .replace(
        generators,
        'generator client {\n  provider   = "prisma-client"\n  output     = "../../api/generated/prisma-postgresql"\n  engineType = "client"\n}',
      )
      .replace('provider = "sqlite"', 'provider = "postgresql"')
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(POSTGRESQL_SCHEMA, postgresqlSchema(await readFile(SQLITE_SCHEMA, 'utf8')));
}
