// The Insights store on either engine: waits are written through Prisma (the same models on both),
// and the figures are SQL aggregates run by the database, in each engine's dialect: SQLite keeps
// times as ISO text (unixepoch for durations), PostgreSQL as timestamp(3) (EXTRACT(EPOCH ...)).
// Every query reads the waits of one person (or everyone's) begun in a range, through the
// (owner, startedAt) or the startedAt index.
import type { Blocker, Day, DayFigures, FiguresGroup, FiguresQuery, InsightsStore, StoredWait, WaitFigures, WaitFilter } from '../insights/store.ts';
import type { LoggedEntry, Wait } from '../insights/waits.ts';
import { attentionFromJson } from './attention-json.ts';
import { toStored } from './dates.ts';
import type { Db } from './opened-database.ts';

const INDEXED_THROUGH_KEY = 'waitsIndexedThrough';

export type Dialect = 'sqlite' | 'postgresql';

type SqlRow = Record<string, unknown>;

/** How each engine spells what differs: a time parameter, and the seconds between two times. */
const DIALECTS = {
  sqlite: {
    time: (date: Date) => toStored(date),
    timeParam: '?',
    // unixepoch(…, 'subsec'): seconds with milliseconds; rounded to them, so that 30 minutes is 1800 exactly.
    seconds: (later: string, earlier: string) => `ROUND(unixepoch(${later}, 'subsec') - unixepoch(${earlier}, 'subsec'), 3)`,
    least: 'MIN',
    greatest: 'MAX',
  },
  postgresql: {
    time: (date: Date) => date.toISOString(),
    timeParam: 'CAST(? AS timestamp(3))',
    seconds: (later: string, earlier: string) => `EXTRACT(EPOCH FROM (${later} - ${earlier}))`,
    least: 'LEAST',
    greatest: 'GREATEST',
  },
} as const;

const GROUP_COLUMN: Record<FiguresGroup, string> = { total: "''", kind: '"kind"', project: `COALESCE("project", '')`, agent: '"agent"' };

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A wait's columns, in the order the statements bind them; the times among them. */
const WAIT_COLUMNS: readonly (keyof Wait)[] = ['sessionId', 'owner', 'project', 'agent', 'kind', 'subagent', 'startedAt', 'seenAt', 'answeredAt', 'endedAt', 'endedBy', 'decision', 'escalated', 'tool', 'rule', 'startSeq', 'endSeq'];
const TIME_COLUMNS: ReadonlySet<string> = new Set(['startedAt', 'seenAt', 'answeredAt', 'endedAt']);
/** New waits per insert statement: 17 parameters each, within both engines' limits. */
const INSERT_ROWS = 500;

/** A statement and its parameters, in the `?` style (PostgreSQL's $n are numbered when it runs). */
export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * The figures' SQL in one engine's dialect: what the store runs through Prisma, and what
 * `npm run bench` runs as plain SQL beside it.
 */
export class InsightsSql {
  private readonly d: (typeof DIALECTS)[Dialect];

  constructor(readonly dialect: Dialect) {
    this.d = DIALECTS[dialect];
  }

  /** Count, time waited and escalations of each group. */
  sums(query: FiguresQuery, group: FiguresGroup): Statement {
    const { where, params } = this.range(query);
    return {
      sql: `SELECT ${GROUP_COLUMN[group]} AS "key", COUNT(*) AS "waits", SUM(${this.waited()}) AS "waitedSeconds",
         SUM(CASE WHEN "escalated" THEN 1 ELSE 0 END) AS "escalations"
       FROM "AttentionWait" WHERE ${where}${group === 'total' ? '' : ` GROUP BY ${GROUP_COLUMN[group]}`}`,
      params: [this.d.time(query.now), ...params],
    };
  }

  /** Nearest-rank percentiles of each group: the value at rank ceil(n * p / 100) of its values, in order. */
  percentiles(query: FiguresQuery, group: FiguresGroup): Statement {
    const { where, params } = this.range(query);
    const key = GROUP_COLUMN[group];
    return {
      sql: `WITH "measured" AS (
         SELECT ${key} AS "key", 'waited' AS "metric", ${this.waited()} AS "value" FROM "AttentionWait" WHERE ${where}
         UNION ALL SELECT ${key}, 'seen', ${this.d.seconds('"seenAt"', '"startedAt"')} FROM "AttentionWait" WHERE ${where} AND "seenAt" IS NOT NULL
         UNION ALL SELECT ${key}, 'answer', ${this.d.seconds('"answeredAt"', '"startedAt"')} FROM "AttentionWait" WHERE ${where} AND "answeredAt" IS NOT NULL
       ), "ranked" AS (
         SELECT "key", "metric", "value", ROW_NUMBER() OVER (PARTITION BY "key", "metric" ORDER BY "value") AS "rank",
           COUNT(*) OVER (PARTITION BY "key", "metric") AS "n" FROM "measured"
       )
       SELECT "key", "metric",
         MAX(CASE WHEN "rank" = ("n" * 50 + 99) / 100 THEN "value" END) AS "p50",
         MAX(CASE WHEN "rank" = ("n" * 90 + 99) / 100 THEN "value" END) AS "p90"
       FROM "ranked" GROUP BY "key", "metric"`,
      params: [this.d.time(query.now), ...params, ...params, ...params],
    };
  }

  /** Waits begun each day, and the time waited within it. */
  days(query: FiguresQuery, days: Day[]): Statement {
    const { where, params } = this.range(query);
    const t = this.d.timeParam;
    const end = `COALESCE("w"."endedAt", ${t})`;
    const overlap = this.d.seconds(`${this.d.least}(${end}, "d"."dayEnd")`, `${this.d.greatest}("w"."startedAt", "d"."dayStart")`);
    const values = days.map(() => `SELECT CAST(? AS TEXT) AS "day", ${t} AS "dayStart", ${t} AS "dayEnd"`).join(' UNION ALL ');
    return {
      sql: `WITH "d" AS (${values}), "w" AS (SELECT * FROM "AttentionWait" WHERE ${where})
       SELECT "d"."day" AS "day",
         SUM(CASE WHEN "w"."startedAt" >= "d"."dayStart" AND "w"."startedAt" < "d"."dayEnd" THEN 1 ELSE 0 END) AS "waits",
         SUM(CASE WHEN "w"."startedAt" < "d"."dayEnd" AND ${end} > "d"."dayStart" THEN ${overlap} ELSE 0 END) AS "waitedSeconds"
       FROM "d" LEFT JOIN "w" ON 1 = 1 GROUP BY "d"."day" ORDER BY "d"."day"`,
      params: [...days.flatMap((day) => [day.day, this.d.time(day.start), this.d.time(day.end)]), ...params, this.d.time(query.now), this.d.time(query.now)],
    };
  }

  endings(query: FiguresQuery): Statement {
    const { where, params } = this.range(query);
    return { sql: `SELECT "endedBy" AS "key", COUNT(*) AS "n" FROM "AttentionWait" WHERE ${where} AND "endedBy" IS NOT NULL GROUP BY "endedBy"`, params };
  }

  blockers(query: FiguresQuery, limit: number): Statement {
    const { where, params } = this.range(query);
    return {
      sql: `SELECT "tool", "rule", COUNT(*) AS "waits",
         SUM(CASE WHEN "decision" = 'ALLOW' THEN 1 ELSE 0 END) AS "allowed",
         SUM(CASE WHEN "decision" = 'DENY' THEN 1 ELSE 0 END) AS "denied",
         SUM(${this.waited()}) AS "waitedSeconds"
       FROM "AttentionWait" WHERE ${where} AND "kind" = 'PERMISSION' AND "tool" IS NOT NULL
       GROUP BY "tool", "rule" ORDER BY COUNT(*) DESC, SUM(${this.waited()}) DESC, "tool", "rule" LIMIT ${Math.trunc(limit)}`,
      params: [this.d.time(query.now), ...params, this.d.time(query.now)],
    };
  }

  /** New waits, as one multi-row insert. */
  insertWaits(waits: Wait[]): Statement {
    const row = `(${WAIT_COLUMNS.map((c) => (TIME_COLUMNS.has(c) ? this.d.timeParam : '?')).join(', ')})`;
    return {
      sql: `INSERT INTO "AttentionWait" (${WAIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${waits.map(() => row).join(', ')}`,
      params: waits.flatMap((w) => this.values(w)),
    };
  }

  /**
   * Moves the cursor `key` from `from` to `to`, only if it is at `from` (the first time, made at
   * `to`): one row changed when it moved, none when another process moved it first.
   */
  claimCursor(key: string, from: number, to: number): Statement {
    return from === 0
      ? { sql: 'INSERT INTO "StoreMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', params: [key, String(to)] }
      : { sql: 'UPDATE "StoreMeta" SET "value" = ? WHERE "key" = ? AND "value" = ?', params: [String(to), key, String(from)] };
  }

  /** PostgreSQL's parameters are numbered; SQLite takes `?`. */
  numbered(sql: string): string {
    let n = 0;
    return this.dialect === 'postgresql' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  }

  /** A wait's new state (it was seen, answered or ended). */
  updateWait(id: number, wait: Wait): Statement {
    const t = this.d.timeParam;
    const set = WAIT_COLUMNS.map((c) => `"${c}" = ${TIME_COLUMNS.has(c) ? t : '?'}`).join(', ');
    return { sql: `UPDATE "AttentionWait" SET ${set} WHERE "id" = ?`, params: [...this.values(wait), id] };
  }

  /** A wait's values in WAIT_COLUMNS' order, as the engine stores them. */
  private values(wait: Wait): unknown[] {
    return WAIT_COLUMNS.map((column) => {
      const value = wait[column];
      if (value instanceof Date) return this.d.time(value);
      return typeof value === 'boolean' && this.dialect === 'sqlite' ? Number(value) : value;
    });
  }

  /** Seconds waited: until the end, or now for a wait still open. */
  private waited(): string {
    return this.d.seconds(`COALESCE("endedAt", ${this.d.timeParam})`, '"startedAt"');
  }

  /** The waits of the query's person (or everyone's) begun in its range. */
  private range(query: FiguresQuery): { where: string; params: unknown[] } {
    const t = this.d.timeParam;
    const params: unknown[] = [this.d.time(query.from), this.d.time(query.to)];
    const where = `"startedAt" >= ${t} AND "startedAt" < ${t}`;
    if (query.owner === null) return { where, params };
    return { where: `"owner" = ? AND ${where}`, params: [query.owner, ...params] };
  }
}

export class PrismaInsightsStore implements InsightsStore {
  private readonly sql: InsightsSql;

  constructor(
    private readonly db: Db,
    dialect: Dialect,
  ) {
    this.sql = new InsightsSql(dialect);
  }

  async indexedThrough(): Promise<number> {
    const row = await this.db.storeMeta.findUnique({ where: { key: INDEXED_THROUGH_KEY } });
    return Number(row?.value ?? 0);
  }

  async entriesAfter(seq: number, limit: number): Promise<LoggedEntry[]> {
    // One joined read, not Prisma's query and relation load: reading a long log the first time is this.
    const rows = await this.run({
      sql: `SELECT e."seq", e."sessionId", e."kind", e."at", e."input", e."attention", e."project", s."owner", s."agent"
        FROM "SessionEvent" e JOIN "Session" s ON s."id" = e."sessionId" WHERE e."seq" > ? ORDER BY e."seq" LIMIT ${Math.trunc(limit)}`,
      params: [seq],
    });
    return rows.map((row) => ({
      seq: Number(row.seq),
      sessionId: String(row.sessionId),
      kind: row.kind as LoggedEntry['kind'],
      at: new Date(row.at as string | Date),
      input: JSON.parse(String(row.input)) as Record<string, unknown>,
      attention: attentionFromJson(row.attention as string | null),
      project: row.project === null ? null : String(row.project),
      owner: String(row.owner),
      agent: String(row.agent),
    }));
  }

  async openWaits(sessionIds: string[]): Promise<StoredWait[]> {
    if (sessionIds.length === 0) return [];
    return (await this.db.attentionWait.findMany({ where: { sessionId: { in: sessionIds }, endedAt: null } })) as StoredWait[];
  }

  async saveWaits(from: number, to: number, began: Wait[], changed: StoredWait[]): Promise<boolean> {
    const claimed = Symbol('claimed by another process');
    try {
      return await this.db.$transaction(async (tx) => {
        // The cursor is moved first, on the condition that it is where this read began: a second
        // process doing the same waits for the first's row lock, then finds the cursor moved and
        // changes nothing (a plain read of it would let both go on, under read committed).
        const claim = this.sql.claimCursor(INDEXED_THROUGH_KEY, from, to);
        if ((await tx.$executeRawUnsafe(this.sql.numbered(claim.sql), ...claim.params)) !== 1) throw claimed;
        for (let i = 0; i < began.length; i += INSERT_ROWS) await this.run(this.sql.insertWaits(began.slice(i, i + INSERT_ROWS)), tx);
        for (const { id, ...wait } of changed) await this.run(this.sql.updateWait(id, wait), tx);
        return true;
      });
    } catch (error) {
      if (error === claimed) return false;
      throw error;
    }
  }

  async figures(query: FiguresQuery, group: FiguresGroup): Promise<Map<string, WaitFigures>> {
    const [sums, ranked] = await Promise.all([this.run(this.sql.sums(query, group)), this.run(this.sql.percentiles(query, group))]);
    const figures = new Map<string, WaitFigures>();
    for (const row of sums) {
      figures.set(String(row.key), {
        waits: num(row.waits),
        waitedSeconds: num(row.waitedSeconds),
        escalations: num(row.escalations),
        medianSeconds: null,
        p90Seconds: null,
        medianToSeenSeconds: null,
        medianToAnswerSeconds: null,
      });
    }
    for (const row of ranked) {
      const f = figures.get(String(row.key));
      if (!f) continue;
      if (row.metric === 'waited') Object.assign(f, { medianSeconds: numOrNull(row.p50), p90Seconds: numOrNull(row.p90) });
      if (row.metric === 'seen') f.medianToSeenSeconds = numOrNull(row.p50);
      if (row.metric === 'answer') f.medianToAnswerSeconds = numOrNull(row.p50);
    }
    return figures;
  }

  async days(query: FiguresQuery, days: Day[]): Promise<DayFigures[]> {
    if (days.length === 0) return [];
    const rows = await this.run(this.sql.days(query, days));
    return rows.map((row) => ({ day: String(row.day), waits: num(row.waits), waitedSeconds: num(row.waitedSeconds) }));
  }

  async endings(query: FiguresQuery): Promise<Map<string, number>> {
    const rows = await this.run(this.sql.endings(query));
    return new Map(rows.map((row) => [String(row.key), num(row.n)]));
  }

  async blockers(query: FiguresQuery, limit: number): Promise<Blocker[]> {
    const rows = await this.run(this.sql.blockers(query, limit));
    return rows.map((row) => ({
      tool: String(row.tool),
      rule: row.rule === null ? null : String(row.rule),
      waits: num(row.waits),
      allowed: num(row.allowed),
      denied: num(row.denied),
      waitedSeconds: num(row.waitedSeconds),
    }));
  }

  async waits(query: FiguresQuery, filter: WaitFilter, limit: number): Promise<StoredWait[]> {
    return (await this.db.attentionWait.findMany({
      where: {
        ...(query.owner === null ? {} : { owner: query.owner }),
        startedAt: { gte: filter.start && filter.start > query.from ? filter.start : query.from, lt: filter.end && filter.end < query.to ? filter.end : query.to },
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.project !== undefined && filter.project !== null ? { project: filter.project === '' ? null : filter.project } : {}),
        ...(filter.agent ? { agent: filter.agent } : {}),
        ...(filter.rule ? { rule: filter.rule } : {}),
      },
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      take: limit,
    })) as StoredWait[];
  }

  async prune(cutoff: Date): Promise<void> {
    await this.db.attentionWait.deleteMany({ where: { endedAt: { lt: cutoff } } });
  }

  /** Runs a statement (on `db`, or in a transaction's client); PostgreSQL's parameters are numbered. */
  private run({ sql, params }: Statement, db: Pick<Db, '$queryRawUnsafe'> = this.db): Promise<SqlRow[]> {
    return db.$queryRawUnsafe<SqlRow[]>(this.sql.numbered(sql), ...params);
  }
}
