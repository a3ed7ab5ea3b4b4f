import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The Prisma CLI runs on its JavaScript engine with a driver adapter: no native engine download,
// so generate and migrate work offline. DATABASE_URL picks the engine: postgresql://… uses the
// PostgreSQL schema and migrations (made from the SQLite ones), anything else the SQLite file.
const url = process.env.DATABASE_URL ?? 'file:./data/lookout.db';
process.env.DATABASE_URL = url;
const postgresql = /^postgres(ql)?:\/\//.test(url);
const folder = postgresql ? path.join('prisma', 'postgresql') : 'prisma';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(folder, 'schema.prisma'),
  migrations: { path: path.join(folder, 'migrations') },
  adapter: async () => (postgresql ? new PrismaPg({ connectionString: url }) : new PrismaBetterSQLite3({ url })),
});
