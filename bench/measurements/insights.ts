// 14. Insights (issue 28): on 100k sessions and 1M log entries, the week's figures for one person,
// as the page asks for them over HTTP, against the same aggregates run as plain SQL on the same
// file with better-sqlite3 (the statements the store runs, from InsightsSql); how long the leading
// process takes to read the whole log into waits the first time (after an upgrade); and the page's
// Insights view, from the click to the figures on screen, in Chromium.
import path from 'node:path';
import Database from 'better-sqlite3';
import { print } from 'graphql';
import { chromium } from 'playwright-core';
import { InsightsDocument } from '../../client/src/gql/graphql.ts';
import { attentionToJson } from '../../api/db/attention-json.ts';
import { toStored } from '../../api/db/dates.ts';
import { InsightsSql } from '../../api/db/insights-store.ts';
import { migrateSqlite } from '../../api/db/sqlite.ts';
import { daysOf } from '../../api/insights/insights.ts';
import type { FiguresQuery } from '../../api/insights/store.ts';
import { now, startChild } from '../children.ts';
import { post } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { percentile } from '../stats.ts';

const SESSIONS = 100_000;
const PEOPLE = 20;
const DAY = 86_400_000;
const COMMANDS = ['npm test', 'git push', 'npm run build', 'make deploy', 'rm -rf dist', 'docker compose up', 'pnpm lint', 'cargo test'];
/** The seeded history ends an hour before the run, spread over the 100 days before. */
const UNTIL = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const FROM = UNTIL - 100 * DAY;

const need = (reason: string, label: string, since: number) =>
  attentionToJson({ tier: 'NEEDS_YOU', reason: reason as never, label, detail: null, since: new Date(since), escalatedAt: null });

/** 100k sessions of 20 people (the first is the page's own person, "you"), 10 log entries each: 1M entries, 3 waits a session. */
async function seeded(dir: string): Promise<string> {
  const file = path.join(dir, 'insights.db');
  await migrateSqlite(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const session = db.prepare(`INSERT INTO Session (id, agent, title, project, state, stateAt, activityAt, lastEventAt, closedBy, closedAt, hidden, tracked, owner, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, 'ENDED', ?, ?, ?, 'USER', ?, 0, 0, ?, ?, ?)`);
  const event = db.prepare('INSERT INTO SessionEvent (sessionId, kind, at, recordedAt, input, attention, project) VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < SESSIONS; i++) {
      const id = `s-${i}`;
      const t = FROM + Math.floor((i * 100 * DAY) / SESSIONS);
      const project = `project-${i % 40}`;
      const end = toStored(new Date(t + 15 * 60_000));
      session.run(id, i % 3 ? 'claude-code' : 'codex', `Task ${i}`, project, end, end, end, end, i % PEOPLE ? `person-${i % PEOPLE}` : 'you', toStored(new Date(t)), end);
      const command = COMMANDS[i % COMMANDS.length]!;
      const answeredAfter = ((i % 10) + 1) * 20_000;
      const entries: [string, number, object, string | null][] = [
        ['REGISTER', 0, {}, null],
        ['ACTIVITY', 60_000, { state: 'WAITING', waitReason: 'PERMISSION', permission: { id: `${id}:p`, tool: 'Bash', kind: 'PERMISSION', input: command } }, need('WAITING', 'Waiting for permission', t + 60_000)],
        ['ANSWER', 60_000 + answeredAfter, { requestId: `${id}:p`, decision: i % 7 ? 'ALLOW_ONCE' : 'DENY', by: i % 2 ? 'FEED' : 'CLI' }, null],
        ['DELIVER', 60_000 + answeredAfter, { requestId: `${id}:p` }, null],
        ['SPEAKER', 5 * 60_000, { speaker: 'ASSISTANT' }, need('AWAITING_REPLY', 'Awaiting your reply', t + 5 * 60_000)],
        ['SEEN', 6 * 60_000, {}, null],
        ['SPEAKER', 8 * 60_000, { speaker: 'USER' }, null],
        ['ACTIVITY', 9 * 60_000, { state: 'WAITING', waitReason: 'QUESTION' }, need('WAITING', 'Has a question', t + 9 * 60_000)],
        ['ACTIVITY', 12 * 60_000, { state: 'WORKING' }, null],
        ['CLOSE', 15 * 60_000, { closedBy: 'USER' }, null],
      ];
      for (const [kind, after, input, attention] of entries) {
        const at = toStored(new Date(t + after));
        event.run(id, kind, at, at, JSON.stringify(input), attention, project);
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}

/** The same aggregates the store runs for one figures query, as plain SQL on the same file. */
function plainSql(db: Database.Database, query: FiguresQuery, timeZone: string) {
  const sql = new InsightsSql('sqlite');
  const previous = { ...query, from: new Date(2 * query.from.getTime() - query.to.getTime()), to: query.from };
  const statements = [
    sql.sums(query, 'total'),
    sql.percentiles(query, 'total'),
    sql.sums(previous, 'total'),
    sql.percentiles(previous, 'total'),
    ...(['kind', 'project', 'agent'] as const).flatMap((group) => [sql.sums(query, group), sql.percentiles(query, group)]),
    sql.days(query, daysOf(query.from, query.to, timeZone)),
    sql.endings(query),
    sql.blockers(query, 10),
  ];
  return statements.map(({ sql: text, params }) => db.prepare(text).all(...params));
}

export async function measureInsights(dir: string, settings: Settings): Promise<Row[]> {
  const file = await seeded(dir);
  const started = now();
  const lookout = await startChild('lookout-child.ts', [file]);
  const url = lookout.ready.url as string;
  const week = { from: new Date(UNTIL - 7 * DAY).toISOString(), to: new Date(UNTIL).toISOString(), timeZone: 'UTC', scope: 'MINE' };
  const body = JSON.stringify({ query: print(InsightsDocument), variables: week, operationName: 'Insights' });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const db = new Database(file, { readonly: true });
  try {
    // Lookout reads the whole log into waits from its start; done when the waits reflect the last entry.
    const last = (db.prepare('SELECT MAX(seq) AS seq FROM SessionEvent').get() as { seq: number }).seq;
    const indexed = db.prepare("SELECT value FROM StoreMeta WHERE key = 'waitsIndexedThrough'");
    while (Number((indexed.get() as { value: string } | undefined)?.value ?? 0) < last) {
      if (now() - started > 5 * 60_000) throw new Error('Lookout did not read the log into waits in 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const indexedMs = now() - started;
    const first = await post(url, body);
    const answer = JSON.parse(first.text);
    if (first.status !== 200 || answer.data?.insights?.__typename !== 'QueryInsightsSuccess') throw new Error(`Insights answered ${first.status}: ${first.text.slice(0, 300)}`);
    const expected = plainSql(db, { owner: 'you', from: new Date(week.from), to: new Date(week.to), now: new Date() }, 'UTC')[0] as { waits: number }[];
    if (answer.data.insights.data.totals.waits !== expected[0]!.waits) throw new Error(`Insights counted ${answer.data.insights.data.totals.waits} waits, the SQL ${expected[0]!.waits}`);
    const count = settings.quick ? 10 : 40;
    let asked = 0;
    const lookoutMs: number[] = [];
    const sqlMs: number[] = [];
    const pageMs: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const times = { lookout: [] as number[], sql: [] as number[] };
      for (let i = 0; i < count; i++) {
        // A range a millisecond longer each time: the same work, never answered from figures kept from the last one.
        const to = new Date(UNTIL + ++asked);
        let t = now();
        const answered = await post(url, JSON.stringify({ query: print(InsightsDocument), variables: { ...week, to: to.toISOString() }, operationName: 'Insights' }));
        if (answered.status !== 200 || !answered.text.includes('QueryInsightsSuccess')) throw new Error(`Insights failed: ${answered.text.slice(0, 300)}`);
        times.lookout.push(now() - t);
        t = now();
        plainSql(db, { owner: 'you', from: new Date(week.from), to, now: new Date() }, 'UTC');
        times.sql.push(now() - t);
      }
      lookoutMs.push(percentile(times.lookout, 50));
      sqlMs.push(percentile(times.sql, 50));
      // The page: a fresh context, the feed loaded, then Insights opened; until its figures show.
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, timezoneId: 'UTC' });
      const page = await context.newPage();
      await page.goto(url.replace(/\/graphql$/, '/'));
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      const clicked = now();
      await page.getByText('Insights', { exact: true }).click();
      await page.locator('dl.glance').waitFor();
      pageMs.push(now() - clicked);
      await context.close();
    }
    return [
      row('insights-week', 'Insights: the week of one person (100k sessions, 1M log entries), p50', 'ms', lookoutMs, {
        baseline: ['the same aggregates as plain SQL', sqlMs],
        ratio: ['Lookout ÷ plain SQL', lookoutMs.map((v, i) => v / sqlMs[i]!)],
        target: { op: '<=', value: 1.5 },
      }),
      row('insights-page', 'Insights view on the page: from the click to its figures', 'ms', pageMs, { target: { op: '<=', value: 1000, of: 'lookout' } }),
      row('insights-indexed', 'Reading 1M log entries into waits, the first time (start to first answer)', 'ms', [indexedMs]),
    ];
  } finally {
    db.close();
    await browser.close();
    await lookout.stop();
  }
}
