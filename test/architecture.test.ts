// The import rules that keep the packages apart (ARCHITECTURE.md): each file's imports, read with
// TypeScript's own parser, checked against what its package may reach. A new import that crosses a
// line fails here, with the file and the import named.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Where a file may import from: folders (relative to the root) it may reach, besides its own package. */
interface Rule {
  /** The files it governs: a folder, and the folders within it that have rules of their own excepted. */
  files: string;
  may: string[];
  why: string;
}

const RULES: Rule[] = [
  { files: 'shared', may: ['shared'], why: 'shared code is used by the server, the CLI and the page: it imports none of them' },
  { files: 'client/src', may: ['client/src', 'shared'], why: 'the page talks to the server over GraphQL only' },
  { files: 'cli', may: ['cli', 'shared'], why: 'the CLI is bundled and run apart: it talks to the server over HTTP only' },
  {
    files: 'api/attention',
    may: ['api/attention', 'api/generated', 'shared'],
    why: 'the domain knows nothing of storage engines, transports, GraphQL, tokens or notifications',
  },
  { files: 'api/insights', may: ['api/insights', 'api/attention', 'api/generated', 'shared'], why: 'the analytics read waits from the log: they know no storage engine or transport' },
  { files: 'api/db', may: ['api/db', 'api/attention', 'api/insights', 'api/generated', 'shared'], why: 'storage implements the domain\'s stores: it serves no request' },
  { files: 'api/notify', may: ['api/notify', 'api/attention', 'api/db', 'api/generated', 'shared'], why: 'notifications hear attention changes: they serve no request' },
  { files: 'api/tokens', may: ['api/tokens', 'api/attention', 'api/db', 'api/generated', 'shared'], why: 'tokens are data and scopes: they serve no request' },
  { files: 'api/hooks', may: ['api/hooks', 'api/attention', 'api/generated', 'shared'], why: 'the hook mapping turns an agent\'s event into reports: it knows no transport' },
  {
    files: 'api/schema',
    may: ['api/schema', 'api/attention', 'api/insights', 'api/db', 'api/hooks', 'api/notify', 'api/tokens', 'api/generated', 'shared'],
    why: 'the GraphQL types resolve through the domain and its neighbours, never through the transport',
  },
];

/** Every file's relative imports (static, dynamic and `export … from`), resolved to paths from the root. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return importedFiles.map((i) => i.fileName).filter((spec) => spec.startsWith('.')).map((spec) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec)));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).some((part) => part === 'generated' || part === 'gql'));
}

const within = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);

/** The most specific rule for a file: api/attention/x.ts follows api/attention's, not api's. */
const ruleOf = (file: string) => RULES.filter((rule) => within(file, rule.files)).sort((a, b) => b.files.length - a.files.length)[0];

/** What crosses a line: `file → import (why)`. */
function violations(files: string[], importsOfFile = importsOf): string[] {
  return files.flatMap((file) => {
    const rule = ruleOf(file);
    if (!rule) return [];
    return importsOfFile(file)
      .filter((target) => !rule.may.some((folder) => within(target, folder)))
      .map((target) => `${file} → ${target} (${rule.why})`);
  });
}

describe('the import rules', () => {
  it('no package reaches into another: the page, the CLI and shared code stand apart, and the domain imports no layer above it', () => {
    const files = ['shared', 'client/src', 'cli', 'api'].flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('only the entry point and the transport itself import the transport (api/http)', () => {
    const outside = ['shared', 'client/src', 'cli', 'api'].flatMap(sourceFiles).filter((file) => !within(file, 'api/http') && file !== 'api/main.ts');
    expect(outside.flatMap((file) => importsOf(file).filter((target) => within(target, 'api/http')).map((target) => `${file} → ${target}`))).toEqual([]);
  });

  it('the check names a crossing: the domain importing storage, the page importing the server, the CLI importing the page', () => {
    const planted: Record<string, string[]> = {
      'api/attention/writer.ts': ['api/db/sqlite-store.ts', 'api/attention/store.ts'],
      'client/src/feed/Feed.tsx': ['api/attention/rules.ts', 'shared/links.ts'],
      'cli/main.ts': ['client/src/feed/time.ts'],
      'api/http/server.ts': ['api/db/database.ts'],
    };
    expect(violations(Object.keys(planted), (file) => planted[file]!).map((v) => v.split(' (')[0])).toEqual([
      'api/attention/writer.ts → api/db/sqlite-store.ts',
      'client/src/feed/Feed.tsx → api/attention/rules.ts',
      'cli/main.ts → client/src/feed/time.ts',
    ]);
  });
});
