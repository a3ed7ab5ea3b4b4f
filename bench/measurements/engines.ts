// 9-11. PostgreSQL beside SQLite: the same Lookout on each, side by side in every round (feed,
// writes, delivery, start-up); a mixed workload on each (agents writing while tools poll and pages
// follow); and delivery across two replicas on one PostgreSQL against delivery within one.
import os from 'node:os';
import { type Child, startChild } from '../children.ts';
import { FEED_BODY, load, metric, post } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { BENCH_ENV } from '../seed.ts';
import { deliver, record, type Side, untilAllSubscribed } from './delivery.ts';
import { timeToFirstAnswer } from './startup.ts';

const CONNECTIONS = 16;
const SUBSCRIBERS = 100;
const CLIENT_PROCESSES = 2;
const WRITER_SESSIONS = 200;
const RECORD_SPEAKER = `mutation Speak($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`;

type Engine = 'sqlite' | 'postgresql';
const ratio = (a: number[], b: number[]) => a.map((v, i) => v / b[i]!);
const split = (count: number) => Array.from({ length: CLIENT_PROCESSES }, (_, c) => Math.floor(count / CLIENT_PROCESSES) + (c < count % CLIENT_PROCESSES ? 1 : 0));

/** recordSpeaker bodies over WRITER_SESSIONS sessions, each turn flipping who spoke: every write changes the feed. */
function writes(prefix: string) {
  let sent = 0;
  return () => {
    const n = sent++;
    const speaker = Math.floor(n / WRITER_SESSIONS) % 2 ? 'USER' : 'ASSISTANT';
    return JSON.stringify({ query: RECORD_SPEAKER, variables: { input: { sessionId: `${prefix}-${n % WRITER_SESSIONS}`, speaker, project: 'bench' } } });
  };
}

/** `count` graphql-ws subscribers of `server` in client processes, all receiving. */
async function subscribers(url: string, count: number): Promise<{ clients: Child[]; split: number[] }> {
  const parts = split(count);
  const clients = await Promise.all(parts.map(() => startChild('clients-child.ts', ['graphql-ws', url.replace(/^http/, 'ws')])));
  await Promise.all(clients.map((client, c) => client.request('connect', { count: parts[c] })));
  await Promise.all(clients.map((client) => client.request('subscribe')));
  return { clients, split: parts };
}

/** The same measurements on a Lookout over each database, both running, alternating within each round. */
export async function measureEngines(databases: Record<Engine, string>, startupDatabases: Record<Engine, string>, sessions: number, settings: Settings): Promise<Row[]> {
  const servers = {
    sqlite: await startChild('lookout-child.ts', [databases.sqlite]),
    postgresql: await startChild('lookout-child.ts', [databases.postgresql]),
  };
  const url = (engine: Engine) => servers[engine].ready.url as string;
  const engines: Engine[] = ['sqlite', 'postgresql'];
  const followers: Record<Engine, { clients: Child[]; split: number[] }> = {} as never;
  try {
    const feeds = await Promise.all(engines.map(async (engine) => JSON.parse((await post(url(engine), FEED_BODY)).text)));
    // The same sessions in the same order, for the same reasons, since the same times.
    const gist = (feed: any): string[] => feed.data.attentionSessions.edges.map((e: any) => JSON.stringify([e.node.id, e.node.attention.reason, e.node.attention.since, e.node.waitDetail, e.node.lastEventAt]));
    const [sqliteGist, postgresqlGist] = feeds.map(gist) as [string[], string[]];
    const first = sqliteGist.findIndex((item, i) => item !== postgresqlGist[i]);
    if (first >= 0 || sqliteGist.length !== postgresqlGist.length) {
      // Said in full: a failure that comes by chance must say what differed.
      const at = first >= 0 ? first : Math.min(sqliteGist.length, postgresqlGist.length);
      throw new Error(
        `The two databases were seeded with different feeds (${sqliteGist.length} and ${postgresqlGist.length} items); first difference at item ${at}: SQLite ${sqliteGist[at] ?? 'none'}, PostgreSQL ${postgresqlGist[at] ?? 'none'}`,
      );
    }
    const seconds = settings.quick ? 1 : 4;
    const figures = Object.fromEntries(engines.map((e) => [e, { feed: [] as number[], writes: [] as number[], p50: [] as number[], p99: [] as number[], startup: [] as number[] }]));
    const inTurn = (round: number) => (round % 2 ? [...engines].reverse() : engines);
    // The feed and writes with nobody following, then delivery to SUBSCRIBERS pages, then start-up.
    for (const engine of engines) {
      await load(url(engine), { connections: CONNECTIONS, seconds: 1, body: FEED_BODY });
      await load(url(engine), { connections: CONNECTIONS, seconds: 1, nextBody: writes(`warm-${engine}`) });
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const engine of inTurn(round)) {
        figures[engine]!.feed.push((await load(url(engine), { connections: CONNECTIONS, seconds, body: FEED_BODY })).requestsPerSecond);
        figures[engine]!.writes.push((await load(url(engine), { connections: CONNECTIONS, seconds, nextBody: writes(`w${round}-${engine}`) })).requestsPerSecond);
      }
    }
    const sides = {} as Record<Engine, Side>;
    for (const engine of engines) {
      followers[engine] = await subscribers(url(engine), SUBSCRIBERS);
      sides[engine] = { name: 'lookout', server: servers[engine], clients: followers[engine].clients, send: (marker) => record(url(engine), marker).then(() => {}) };
      await untilAllSubscribed(sides[engine], followers[engine].split);
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const engine of inTurn(round)) {
        const delivered = await deliver(sides[engine], followers[engine].split, settings.quick ? 5 : 20);
        figures[engine]!.p50.push(delivered.p50);
        figures[engine]!.p99.push(delivered.p99);
      }
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const engine of inTurn(round)) {
        figures[engine]!.startup.push(await timeToFirstAnswer('dist/server.mjs', { ...BENCH_ENV, PORT: '0', DATABASE_URL: startupDatabases[engine] }));
      }
    }
    const pg = figures.postgresql!;
    const lite = figures.sqlite!;
    const vs = (name: string, mine: number[], theirs: number[]) => ({ baseline: ['SQLite', theirs] as [string, number[]], ratio: [`${name} ÷ SQLite`, ratio(mine, theirs)] as [string, number[]] });
    return [
      row('pg-feed', `PostgreSQL: feed query, ${CONNECTIONS} connections`, 'req/s', pg.feed, vs('PostgreSQL', pg.feed, lite.feed)),
      row('pg-writes', `PostgreSQL: recordSpeaker, ${CONNECTIONS} connections`, 'writes/s', pg.writes, vs('PostgreSQL', pg.writes, lite.writes)),
      row('pg-delivery-p50', `PostgreSQL: delivery p50, ${SUBSCRIBERS} subscribers`, 'ms', pg.p50, vs('PostgreSQL', pg.p50, lite.p50)),
      row('pg-delivery-p99', `PostgreSQL: delivery p99, ${SUBSCRIBERS} subscribers`, 'ms', pg.p99, vs('PostgreSQL', pg.p99, lite.p99)),
      row('pg-startup', `PostgreSQL: start-up to first feed query, ${sessions / 1000}k sessions`, 'ms', pg.startup, vs('PostgreSQL', pg.startup, lite.startup)),
    ];
  } finally {
    for (const engine of engines) await Promise.all((followers[engine]?.clients ?? []).map((client) => client.stop()));
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}

/**
 * Agents writing while tools poll the feed and pages follow it: the tools' polls against the same
 * polls with no writes (their kept answers then stay valid), on each database.
 */
export async function measureMixed(databases: Record<Engine, string>, settings: Settings): Promise<Row[]> {
  const rows: Row[] = [];
  for (const engine of ['sqlite', 'postgresql'] as Engine[]) {
    const server = await startChild('lookout-child.ts', [databases[engine]]);
    const url = server.ready.url as string;
    const pages = await subscribers(url, SUBSCRIBERS);
    try {
      const seconds = settings.quick ? 1 : 4;
      await load(url, { connections: 8, seconds: 1, body: FEED_BODY });
      const quiet = { rps: [] as number[], p99: [] as number[] };
      const mixed = { rps: [] as number[], p99: [] as number[], writes: [] as number[], kept: [] as number[] };
      for (let round = 0; round < settings.rounds; round++) {
        const polls = await load(url, { connections: 8, seconds, body: FEED_BODY });
        quiet.rps.push(polls.requestsPerSecond);
        quiet.p99.push(polls.p99Ms);
        const keptBefore = await metric(url, 'lookout_feed_answers_total{source="memory"}');
        const executedBefore = await metric(url, 'lookout_feed_answers_total{source="executed"}');
        const [polled, written] = await Promise.all([
          load(url, { connections: 8, seconds, body: FEED_BODY }),
          load(url, { connections: 8, seconds, nextBody: writes(`mixed${round}`) }),
        ]);
        const kept = (await metric(url, 'lookout_feed_answers_total{source="memory"}')) - keptBefore;
        const executed = (await metric(url, 'lookout_feed_answers_total{source="executed"}')) - executedBefore;
        mixed.rps.push(polled.requestsPerSecond);
        mixed.p99.push(polled.p99Ms);
        mixed.writes.push(written.requestsPerSecond);
        mixed.kept.push(kept / (kept + executed));
      }
      const { resyncs } = (await Promise.all(pages.clients.map((client) => client.request<{ resyncs: number }>('take')))).reduce((a, b) => ({ resyncs: a.resyncs + b.resyncs }));
      const name = engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      rows.push(
        row(`mixed-${engine}-polls`, `${name}, mixed: feed polls (8 conn.) with 8 writers and ${SUBSCRIBERS} pages`, 'req/s', mixed.rps, {
          baseline: ['polls alone', quiet.rps],
          ratio: ['mixed ÷ alone', ratio(mixed.rps, quiet.rps)],
        }),
        row(`mixed-${engine}-poll-p99`, `${name}, mixed: feed poll p99`, 'ms', mixed.p99, { baseline: ['polls alone', quiet.p99], ratio: ['mixed ÷ alone', ratio(mixed.p99, quiet.p99)] }),
        row(`mixed-${engine}-writes`, `${name}, mixed: recordSpeaker meanwhile`, 'writes/s', mixed.writes),
        row(`mixed-${engine}-kept`, `${name}, mixed: polls answered from a kept answer`, 'share', mixed.kept),
        row(`mixed-${engine}-resyncs`, `${name}, mixed: pages told to refetch`, 'pages', [resyncs]),
      );
    } finally {
      await Promise.all(pages.clients.map((client) => client.stop()));
      await server.stop();
    }
  }
  return rows;
}

/** Two replicas on one PostgreSQL database: subscribers on B, changes written through A (across) or B (within). */
export async function measureReplicas(database: string, settings: Settings): Promise<Row[]> {
  const a = await startChild('lookout-child.ts', [database]);
  const b = await startChild('lookout-child.ts', [database]);
  const urlA = a.ready.url as string;
  const urlB = b.ready.url as string;
  const onB = await subscribers(urlB, SUBSCRIBERS);
  try {
    const sides = {
      within: { name: 'lookout', server: b, clients: onB.clients, send: (marker: string) => record(urlB, marker).then(() => {}) } satisfies Side,
      across: { name: 'lookout', server: b, clients: onB.clients, send: (marker: string) => record(urlA, marker).then(() => {}) } satisfies Side,
    };
    await untilAllSubscribed(sides.across, onB.split);
    const results = { within: { p50: [] as number[], p99: [] as number[] }, across: { p50: [] as number[], p99: [] as number[] } };
    for (let round = 0; round < settings.rounds; round++) {
      for (const name of (round % 2 ? ['across', 'within'] : ['within', 'across']) as ('within' | 'across')[]) {
        const delivered = await deliver(sides[name], onB.split, settings.quick ? 5 : 20);
        results[name].p50.push(delivered.p50);
        results[name].p99.push(delivered.p99);
      }
    }
    return [
      row('replicas-p50', `Two replicas: delivery p50, written on A, ${SUBSCRIBERS} subscribers on B`, 'ms', results.across.p50, {
        baseline: ['written on B', results.within.p50],
        ratio: ['across ÷ within', ratio(results.across.p50, results.within.p50)],
      }),
      row('replicas-p99', `Two replicas: delivery p99, written on A, ${SUBSCRIBERS} subscribers on B`, 'ms', results.across.p99, {
        baseline: ['written on B', results.within.p99],
        ratio: ['across ÷ within', ratio(results.across.p99, results.within.p99)],
      }),
    ];
  } finally {
    await Promise.all(onB.clients.map((client) => client.stop()));
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** The machine's busy CPU milliseconds so far, over every core (every process: PostgreSQL's, the load's). */
function machineBusyMs(): number {
  return os.cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

/**
 * The same 16 writers (`recordSpeaker`) against 1, 2 and 3 replicas of one PostgreSQL database, their
 * connections split among the replicas, alternating within each round; the writes/s of 2 and 3
 * replicas against 1, and how many writes found another replica had written first (conflicts).
 */
export async function measureReplicaWrites(database: string, settings: Settings): Promise<Row[]> {
  const replicas = [await startChild('lookout-child.ts', [database]), await startChild('lookout-child.ts', [database]), await startChild('lookout-child.ts', [database])];
  const urls = replicas.map((replica) => replica.ready.url as string);
  const conflicts = async () => (await Promise.all(urls.map((url) => metric(url, 'lookout_write_conflicts_total')))).reduce((a, b) => a + b, 0);
  try {
    const seconds = settings.quick ? 1 : 4;
    const counts = [1, 2, 3] as const;
    const figures = { 1: [] as number[], 2: [] as number[], 3: [] as number[] };
    /** The machine's CPU per write: the replicas, PostgreSQL and the load share its cores. */
    const cpuPerWrite = { 1: [] as number[], 2: [] as number[], 3: [] as number[] };
    const conflictsPerWrite: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const count of round % 2 ? [...counts].reverse() : counts) {
        const before = await conflicts();
        const parts = Array.from({ length: count }, (_, r) => Math.floor(CONNECTIONS / count) + (r < CONNECTIONS % count ? 1 : 0));
        const busyBefore = machineBusyMs();
        const results = await Promise.all(parts.map((connections, r) => load(urls[r]!, { connections, seconds, nextBody: writes(`r${round}-${count}-${r}`) })));
        const busy = machineBusyMs() - busyBefore;
        const total = results.reduce((sum, result) => sum + result.requestsPerSecond, 0);
        figures[count].push(total);
        cpuPerWrite[count].push(busy / (total * seconds));
        if (count === 3) conflictsPerWrite.push(((await conflicts()) - before) / (total * seconds));
      }
    }
    return [
      ...([2, 3] as const).map((count) =>
        row(`replicas-writes-${count}`, `${count} replicas: recordSpeaker, ${CONNECTIONS} connections split among them`, 'writes/s', figures[count], {
          baseline: ['1 replica', figures[1]],
          ratio: [`${count} ÷ 1 replica`, ratio(figures[count], figures[1])],
          target: count === 3 ? { op: '>=', value: 0.8 } : undefined,
        }),
      ),
      row('replicas-conflicts', '3 replicas: writes that found another had written first to their sessions, per write', 'per write', conflictsPerWrite),
      row('replicas-cpu', `3 replicas: the machine's CPU per write (${os.cpus().length} cores; replicas, PostgreSQL, load)`, 'ms', cpuPerWrite[3], {
        baseline: ['1 replica', cpuPerWrite[1]],
        ratio: ['3 ÷ 1 replica', ratio(cpuPerWrite[3], cpuPerWrite[1])],
      }),
    ];
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
  }
}
