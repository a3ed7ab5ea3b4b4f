// 1. The feed query under concurrent load, against the same feed from SQL and a fixed body.
import { isDeepStrictEqual } from 'node:util';
import { startChild } from '../children.ts';
import { FEED_BODY, load, post } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';

const CONNECTIONS = 16;

export async function measureFeed(file: string, settings: Settings): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [file]);
  const sql = await startChild('baseline-child.ts', ['feed-sql', file]);
  const fixed = await startChild('baseline-child.ts', ['fixed']);
  try {
    const lookoutUrl = lookout.ready.url as string;
    const lookoutBody = (await post(lookoutUrl, FEED_BODY)).text;
    const sqlBody = await sql.request<string>('body');
    if (!isDeepStrictEqual(JSON.parse(lookoutBody), JSON.parse(sqlBody))) {
      throw new Error(`The SQL baseline's feed differs from Lookout's:\n${sqlBody.slice(0, 400)}\n${lookoutBody.slice(0, 400)}`);
    }
    await fixed.request('setBody', { body: lookoutBody });
    const servers = { lookout: lookoutUrl, sql: sql.ready.url as string, fixed: fixed.ready.url as string };
    for (const url of Object.values(servers)) await load(url, { connections: CONNECTIONS, seconds: 1, body: FEED_BODY });

    const rps = { lookout: [] as number[], sql: [] as number[], fixed: [] as number[] };
    const p99 = { lookout: [] as number[], sql: [] as number[] };
    for (let round = 0; round < settings.rounds; round++) {
      // Side by side: each round measures all three, in a rotating order.
      const order = (['lookout', 'sql', 'fixed'] as const).map((_, i, all) => all[(i + round) % all.length]!);
      for (const name of order) {
        const result = await load(servers[name], { connections: CONNECTIONS, seconds: settings.quick ? 1 : 4, body: FEED_BODY });
        rps[name].push(result.requestsPerSecond);
        if (name !== 'fixed') p99[name].push(result.p99Ms);
      }
    }
    const ratio = (a: number[], b: number[]) => a.map((v, i) => v / b[i]!);
    return [
      row('feed-vs-sql', `Feed query, ${CONNECTIONS} connections`, 'req/s', rps.lookout, {
        baseline: ['SQL server', rps.sql],
        ratio: ['Lookout ÷ SQL', ratio(rps.lookout, rps.sql)],
        target: { op: '>=', value: 1 },
      }),
      row('feed-vs-ceiling', `Feed query, ${CONNECTIONS} connections`, 'req/s', rps.lookout, {
        baseline: ['fixed body', rps.fixed],
        ratio: ['Lookout ÷ fixed body', ratio(rps.lookout, rps.fixed)],
        target: { op: '>=', value: 0.25 },
      }),
      row('feed-p99', 'Feed query p99 latency under load', 'ms', p99.lookout, {
        baseline: ['SQL server', p99.sql],
        ratio: ['Lookout ÷ SQL', ratio(p99.lookout, p99.sql)],
      }),
    ];
  } finally {
    await Promise.all([lookout.stop(), sql.stop(), fixed.stop()]);
  }
}
