// The order vitest hands test files to its workers: the longest first, whatever their project, so
// that the PostgreSQL project's long files (replicas, migrations) run beside the SQLite ones rather
// than after them all (vitest's own order runs one project's files before the next's). Durations
// come from vitest's cache of the last run; files it has no duration for go first, larger first.
import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const duration = (spec: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${spec.project.name}:${spec.moduleId.slice(this.ctx.config.root.length + 1)}`)?.duration;
    const size = (spec: TestSpecification) => statSync(spec.moduleId).size;
    return [...files].sort((a, b) => {
      const [da, db] = [duration(a), duration(b)];
      if (da === undefined || db === undefined) return da === db ? size(b) - size(a) : da === undefined ? -1 : 1;
      return db - da;
    });
  }
}
