// Where Lookout's own files are, whether it runs from its sources (tsx) or from its build (dist/):
// the folder that holds package.json, found upward from this module.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('Lookout cannot find its own folder (package.json).');
  }
}

export const PROJECT_ROOT = findProjectRoot();

let version: string | undefined;

/**
 * Lookout's version, its package's: the server says it on /healthz, the CLI with --version. Read
 * when first asked, never on the hook path, which imports this module too.
 */
export function lookoutVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  return version;
}
