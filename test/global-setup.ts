// Migrates one template database per test run; each test copies it instead of migrating again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrateSqlite } from '../api/db/sqlite.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-template-'));
  const file = path.join(dir, 'template.db');
  await migrateSqlite(file);
  project.provide('templateDatabase', file);
  return () => rm(dir, { recursive: true, force: true });
}
