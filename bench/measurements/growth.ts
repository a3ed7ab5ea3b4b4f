// 4. Feed query latency as the store grows, and the query plans of the store's hot statements.
import Database from 'better-sqlite3';
import { startChild } from '../children.ts';
import { FEED_BODY, sequentialLatencies } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { median } from '../stats.ts';

/** Statements Lookout runs against the big tables, with sample arguments. */
const HOT_STATEMENTS: [string, string, unknown[]][] = [
  ['start-up: sessions to keep in memory', 'SELECT * FROM Session WHERE tracked = 1', []],
  [
    'start-up: attention last logged per tracked session',
    'SELECT s.id, (SELECT e.attention FROM SessionEvent e WHERE e.sessionId = s.id ORDER BY e.seq DESC LIMIT 1) FROM Session s WHERE s.tracked = 1',
    [],
  ],
  ['a report: is this event id a repeat', 'SELECT eventId FROM SessionEvent WHERE sessionId = ? AND eventId IN (?)', ['live-1', 'x']],
  ['a report: the stored session', 'SELECT * FROM Session WHERE id = ?', ['old-1']],
  ['replay after a seq', 'SELECT * FROM SessionEvent WHERE seq > ? AND (attention IS NOT NULL OR previousAttention IS NOT NULL) ORDER BY seq LIMIT 500', [1]],
  ["a session's event log", 'SELECT * FROM SessionEvent WHERE sessionId = ? ORDER BY seq LIMIT 20', ['old-1']],
  ['sessions by project, newest first', 'SELECT * FROM Session WHERE project = ? ORDER BY updatedAt DESC LIMIT 20', ['project-1']],
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
