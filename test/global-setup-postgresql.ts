// PostgreSQL's run: one migrated template database per run, copied for each test; all of the run's
// databases are dropped at the end. LOOKOUT_TEST_POSTGRESQL names the server (this machine's by default).
import type { TestProject } from 'vitest/node';
import { migratePostgresql } from '../api/db/postgresql.ts';
import { adminQuery, sql } from './helpers.ts';

export default async function setup(project: TestProject) {
  const server = process.env.LOOKOUT_TEST_POSTGRESQL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const prefix = `lookout_test_${process.pid}`;
  const template = new URL(server);
  template.pathname = `/${prefix}_template`;
  await adminQuery(server, `CREATE DATABASE "${prefix}_template"`);
  await migratePostgresql(template.toString());
  project.provide('templateDatabase', template.toString());
  return async () => {
    const databases = await sql<{ name: string }>(server, `SELECT datname AS name FROM pg_database WHERE datname LIKE '${prefix}%'`);
    for (const { name } of databases) await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
}
