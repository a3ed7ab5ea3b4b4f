// The order vitest hands test files to its workers: the longest first, whatever their project, so
// that the PostgreSQL project's long files (replicas, migrations) run beside the SQLite ones rather
// than after them all (vitest's own order runs one project's files before the next's). Durations
// come from vitest's cache of the last run; without one, a larger file counts as longer.
import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const expected = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${spec.moduleId.slice(this.ctx.config.root.length + 1)}`;
      // Milliseconds last time; else bytes, which rank below any known duration of a second or more.
      return cache.getFileTestResults(key)?.duration ?? statSync(spec.moduleId).size / 10;
    };
    return [...files].sort((a, b) => expected(b) - expected(a));
  }
}
