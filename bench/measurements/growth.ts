// 4. Feed query latency as the store grows, and the query plans of the store's hot statements.
import Database from 'better-sqlite3';
import { STORE_SQL } from '../../api/db/sqlite-store.ts';
import { startChild } from '../children.ts';
import { FEED_BODY, sequentialLatencies } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { median } from '../stats.ts';

/** The attention store's reads and deletes, with sample arguments. */
const STORE_READS: [keyof typeof STORE_SQL, unknown[]][] = [
  ['session', ['old-1']],
  ['trackedSessions', []],
  ['lastLoggedAttention', ['live-1']],
  ['latestSeq', []],
  ['isRepeat', ['live-1', 'x']],
  ['changesAfter', [1, 500]],
  ['lastPrunable', ['2026-01-01T00:00:00.000+00:00']],
  ['prune', [1, '2026-01-01T00:00:00.000+00:00']],
];

/** What GraphQL's own queries ask of Prisma, as SQL. */
const GRAPHQL_READS: [string, string, unknown[]][] = [
  ["GraphQL: a session's event log", 'SELECT * FROM SessionEvent WHERE sessionId = ? ORDER BY seq LIMIT 20', ['old-1']],
  ['GraphQL: sessions by project, newest first', 'SELECT * FROM Session WHERE project = ? ORDER BY updatedAt DESC LIMIT 20', ['project-1']],
];

const HOT_STATEMENTS: [string, string, unknown[]][] = [
  ...STORE_READS.map(([name, args]): [string, string, unknown[]] => [`store: ${name}`, STORE_SQL[name], args]),
  ...GRAPHQL_READS,
];

/** Each hot statement's plan; a full scan of a table (not of an index) is a finding. */
export function queryPlans(file: string): { name: string; plan: string; fullScan: boolean }[] {
  const db = new Database(file, { readonly: true });
  try {
    return HOT_STATEMENTS.map(([name, sql, args]) => {
      const steps = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((s) => s.detail);
      return { name, plan: steps.join('; '), fullScan: steps.some((s) => /^SCAN \w+( AS \w+)?$/.test(s) && !/USING/.test(s)) };
    });
  } finally {
    db.close();
  }
}

export async function measureGrowth(files: Map<number, string>, settings: Settings): Promise<Row[]> {
  const sizes = [...files.keys()].sort((a, b) => a - b);
  const servers = await Promise.all(sizes.map((size) => startChild('lookout-child.ts', [files.get(size)!])));
  try {
    const urls = servers.map((s) => s.ready.url as string);
    for (const url of urls) await sequentialLatencies(url, FEED_BODY, 100);
    const p50s = sizes.map(() => [] as number[]);
    for (let round = 0; round < settings.rounds; round++) {
      for (const [i, url] of urls.entries()) p50s[i]!.push(median(await sequentialLatencies(url, FEED_BODY, settings.quick ? 100 : 300)));
    }
    const [smallest, largest] = [sizes[0]!, sizes.at(-1)!];
    const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
    return sizes.map((size, i) =>
      row(`growth-${label(size)}`, `Feed query p50, one at a time, ${label(size)} sessions stored`, 'ms', p50s[i]!, {
        ...(size === smallest
          ? {}
          : {
              baseline: [`${label(smallest)} sessions`, p50s[0]!],
              ratio: [`${label(size)} ÷ ${label(smallest)}`, p50s[i]!.map((v, r) => v / p50s[0]![r]!)],
              target: size === largest ? { op: '<=' as const, value: 1.5 } : undefined,
            }),
      }),
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
