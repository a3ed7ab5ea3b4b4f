// 5. recordSpeaker mutations under concurrency against raw better-sqlite3 upserts of the same row,
// and the hook path end to end: POST /hooks/claude-code to a subscriber's event.
import Database from 'better-sqlite3';
import { toStored } from '../../api/db/dates.ts';
import { now, startChild } from '../children.ts';
import { load, post } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { percentile } from '../stats.ts';

const CONNECTIONS = 16;
const WRITER_SESSIONS = 200;
const RECORD_SPEAKER = `mutation Speak($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`;
/** A mutation that writes nothing: what any mutation costs to go over HTTP through the guard and yoga. */
const NOTHING = JSON.stringify({ query: 'mutation Nothing { __typename }' });

/** The same upsert of a whole Session row, one durable transaction each, for `seconds`. */
function rawUpserts(file: string, seconds: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const upsert = db.prepare(`INSERT INTO Session (id, agent, title, project, cwd, branch, host, state, stateAt, activityAt,
      lastSpeaker, lastSpeakerAt, lastEventAt, hidden, tracked, createdAt, updatedAt)
    VALUES (@id, 'claude-code', 'A task', 'project', '/home/dev/project', 'main', 'bench-host', 'IDLE', @at, @at, @speaker, @at, @at, 0, 1, @at, @at)
    ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, title = excluded.title, project = excluded.project, cwd = excluded.cwd,
      branch = excluded.branch, host = excluded.host, state = excluded.state, stateAt = excluded.stateAt, activityAt = excluded.activityAt,
      lastSpeaker = excluded.lastSpeaker, lastSpeakerAt = excluded.lastSpeakerAt, lastEventAt = excluded.lastEventAt,
      tracked = excluded.tracked, updatedAt = excluded.updatedAt`);
  let count = 0;
  const started = now();
  while (now() - started < seconds * 1000) {
    upsert.run({ id: `raw-${count % WRITER_SESSIONS}`, at: toStored(new Date()), speaker: count % 2 ? 'USER' : 'ASSISTANT' });
    count++;
  }
  db.close();
  return count / ((now() - started) / 1000);
}

function speakerEvents(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM SessionEvent WHERE kind = 'SPEAKER' AND sessionId LIKE 'w-%'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function measureWrites(lookoutFile: string, rawFile: string, settings: Settings): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [lookoutFile]);
  const url = lookout.ready.url as string;
  let sent = 0;
  const nextBody = () => {
    const n = sent++;
    const speaker = Math.floor(n / WRITER_SESSIONS) % 2 ? 'USER' : 'ASSISTANT';
    return JSON.stringify({ query: RECORD_SPEAKER, variables: { input: { sessionId: `w-${n % WRITER_SESSIONS}`, speaker, agent: 'claude-code', project: 'bench' } } });
  };
  try {
    const seconds = settings.quick ? 1 : 4;
    const lookoutRates: number[] = [];
    const rawRates: number[] = [];
    const nothingRates: number[] = [];
    // Warm up first (code paths compile on first use); its writes count as acknowledged too.
    let acknowledged = (await load(url, { connections: CONNECTIONS, seconds: 1, nextBody })).completed;
    for (let round = 0; round < settings.rounds; round++) {
      const result = await load(url, { connections: CONNECTIONS, seconds, nextBody });
      acknowledged += result.completed;
      lookoutRates.push(result.requestsPerSecond);
      rawRates.push(rawUpserts(rawFile, seconds));
      nothingRates.push((await load(url, { connections: CONNECTIONS, seconds, body: NOTHING })).requestsPerSecond);
    }
    // Every acknowledged write is in the store (a GraphQL error would also have answered 200).
    const events = speakerEvents(lookoutFile);
    if (events < acknowledged) throw new Error(`${acknowledged} recordSpeaker answers but ${events} events stored`);

    const hook = await hookPath(url, settings);
    return [
      row('writes', `recordSpeaker, ${CONNECTIONS} connections`, 'writes/s', lookoutRates, {
        baseline: ['raw upserts', rawRates],
        ratio: ['Lookout ÷ raw', lookoutRates.map((v, i) => v / rawRates[i]!)],
        target: { op: '>=', value: 1 },
      }),
      // The floor under the target above: no store can make a mutation cheaper than one that writes nothing.
      row('writes-floor', `recordSpeaker ÷ a mutation that writes nothing, ${CONNECTIONS} connections`, 'writes/s', lookoutRates, {
        baseline: ['mutation { __typename }', nothingRates],
        ratio: ['Lookout ÷ nothing', lookoutRates.map((v, i) => v / nothingRates[i]!)],
      }),
      row('hook-p50', 'Hook POST to subscriber event, p50', 'ms', hook.map((h) => h.p50)),
      row('hook-p99', 'Hook POST to subscriber event, p99', 'ms', hook.map((h) => h.p99)),
    ];
  } finally {
    await lookout.stop();
  }
}

/** Claude Code's http hook, one call at a time, each timed until a subscriber has its event. */
async function hookPath(graphqlUrl: string, settings: Settings) {
  const hookUrl = graphqlUrl.replace(/\/graphql$/, '/hooks/claude-code');
  const client = await startChild('clients-child.ts', ['graphql-ws', graphqlUrl.replace(/^http/, 'ws')]);
  try {
    await client.request('connect', { count: 1 });
    await client.request('subscribe');
    let calls = 0;
    /** One hook call; resolves when the subscriber has its event, or with null after `waitMs`. */
    const call = async (waitMs: number) => {
      const command = `make step-${++calls}`;
      // A permission request for a new command each call: the feed's detail changes every time.
      const marker = `Bash: ${command}`;
      let stop = () => {};
      const received = new Promise<number | null>((resolve) => {
        const timeout = setTimeout(() => (stop(), resolve(null)), waitMs);
        stop = client.onMessage((m) => m.type === 'all-received' && m.marker === marker && (clearTimeout(timeout), stop(), resolve(now())));
      });
      const started = now();
      const body = JSON.stringify({ session_id: 'hook-bench', hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command }, cwd: '/home/dev/hooks' });
      const { status } = await post(hookUrl, body);
      if (status !== 204) throw new Error(`The hook answered ${status}`);
      const at = await received;
      return at === null ? null : at - started;
    };
    // The subscription is live once a call's event arrives.
    for (let tries = 0; (await call(1_000)) === null; tries++) {
      if (tries === 10) throw new Error('No hook event reached the subscriber');
    }
    const timed = async () => {
      const latency = await call(30_000);
      if (latency === null) throw new Error('A hook event did not reach the subscriber in 30 s');
      return latency;
    };
    for (let i = 0; i < 20; i++) await timed();
    await client.request('take');
    const rounds = [];
    for (let round = 0; round < settings.rounds; round++) {
      const latencies: number[] = [];
      for (let i = 0; i < (settings.quick ? 50 : 200); i++) latencies.push(await timed());
      rounds.push({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
    }
    return rounds;
  } finally {
    await client.stop();
  }
}
