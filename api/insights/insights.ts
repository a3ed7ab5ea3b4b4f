// Attention analytics: how long agents waited on their people, and why. The leading process reads
// the log as it grows into waits (api/insights/waits.ts) and keeps them; the figures are the
// database's aggregates over them, for one person or (admins) the team, over a range of days in
// the asker's time zone.
import type { AttentionChange } from '../attention/vocabulary.ts';
import type { Blocker, Day, DayFigures, FiguresQuery, InsightsStore, StoredWait, WaitFigures, WaitFilter } from './store.ts';
import { stepWaits, type Wait, type WaitKind } from './waits.ts';

/** Log entries read into waits at a time: each page one transaction, the event loop free between pages. */
const PAGE = 5000;
/** The longest range asked at once: its days are one query, its waits bounded by it. */
export const MAX_RANGE_DAYS = 92;
/** A rule is suggested once its prompts were allowed this often and never denied. */
export const SUGGEST_AFTER_ALLOWED = 3;
/** The prompts read for blockers and suggested rules: the most waited on, enough that a routine one is among them. */
const BLOCKERS_READ = 50;
/** How long figures asked again (the same person, range and time zone, no new entry read) are answered as computed. */
const FRESH_MS = 10_000;
const KEPT_FIGURES = 32;
const PRUNE_EVERY_MS = 60 * 60_000;
/** How long after a change the log is read into waits: a burst of writes is read at once, in one transaction, off their path. */
const READ_AFTER_MS = 1_000;

export class InsightsRangeError extends Error {}

export interface InsightsOptions {
  /** Whether this process reads the log into waits (the leader; the others read what it kept). */
  leads(): boolean;
  /** How long waits are kept after they end: the log's retention. */
  retentionMs: number;
  /** A wait ended (for the metrics). */
  ended?(kind: WaitKind, seconds: number): void;
}

export interface Figures {
  from: Date;
  to: Date;
  timeZone: string;
  totals: WaitFigures;
  /** The same length of time just before `from`. */
  previous: WaitFigures;
  byKind: Map<string, WaitFigures>;
  byProject: Map<string, WaitFigures>;
  byAgent: Map<string, WaitFigures>;
  /** Each day with its start and end instants. */
  days: (DayFigures & Day)[];
  endings: Map<string, number>;
  blockers: Blocker[];
}

const NO_WAITS: WaitFigures = { waits: 0, waitedSeconds: 0, medianSeconds: null, p90Seconds: null, medianToSeenSeconds: null, medianToAnswerSeconds: null, escalations: 0 };

export class Insights {
  private indexing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private again = false;
  private prunedAt = 0;
  /** A wait read in that had ended before the retention: pruned at the end of this catch-up, not an hour later. */
  private readStale = false;
  private stopped = false;
  /** Figures computed lately, by whose and which range: a repeat is answered from here while fresh. */
  private readonly kept = new Map<string, { seq: number; at: number; figures: Promise<Figures> }>();
  /** Each person's (or the team's) computations, one after another: asking many at once costs no more at a time. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: InsightsStore,
    private readonly options: InsightsOptions,
  ) {}

  /** Keeps the waits up with the log: call with every change (any process's); read a moment later, with what follows. */
  readonly heard = (_change?: AttentionChange): void => {
    if (this.stopped || this.timer || !this.options.leads()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.catchUp().catch((error) => console.error('Insights: reading the log into waits failed:', error));
    }, READ_AFTER_MS);
    this.timer.unref();
  };

  stop(): Promise<void> | undefined {
    this.stopped = true;
    clearTimeout(this.timer);
    return this.indexing;
  }

  /** Reads every log entry not yet read into waits (one run at a time; a call during a run runs it again after). */
  catchUp(): Promise<void> {
    if (this.indexing) {
      this.again = true;
      return this.indexing;
    }
    this.indexing = (async () => {
      try {
        do {
          this.again = false;
          while (!this.stopped && (await this.readPage())) await new Promise((resolve) => setImmediate(resolve));
        } while (this.again && !this.stopped);
        if (this.readStale || Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
          this.readStale = false;
          this.prunedAt = Date.now();
          await this.store.prune(new Date(Date.now() - this.options.retentionMs));
        }
      } finally {
        this.indexing = undefined;
      }
    })();
    return this.indexing;
  }

  /** One page of the log into waits; false when there was nothing more to read (or another process read it). */
  private async readPage(): Promise<boolean> {
    const from = await this.store.indexedThrough();
    const entries = await this.store.entriesAfter(from, PAGE);
    if (entries.length === 0) return false;
    /** Each session's open wait: a stored row (its id), or one begun in this page (its place in `began`). */
    const open = new Map<string, { wait: Wait; id?: number; place?: number }>();
    for (const wait of await this.store.openWaits([...new Set(entries.map((e) => e.sessionId))])) open.set(wait.sessionId, { wait, id: wait.id });
    const began: Wait[] = [];
    const changed = new Map<number, StoredWait>();
    const ended: Wait[] = [];
    /** Puts a wait's new state where it will be stored: its row, or the new row it is. */
    const keep = (current: { wait: Wait; id?: number; place?: number }, wait: Wait) => {
      if (current.id === undefined) began[current.place!] = wait;
      else changed.set(current.id, { ...wait, id: current.id });
      current.wait = wait;
    };
    for (const entry of entries) {
      const current = open.get(entry.sessionId);
      const step = stepWaits(current?.wait ?? null, entry);
      if (step.updated) keep(current!, step.updated);
      if (step.ended) {
        keep(current!, step.ended);
        ended.push(step.ended);
        open.delete(entry.sessionId);
      }
      if (step.began) open.set(entry.sessionId, { wait: step.began, place: began.push(step.began) - 1 });
    }
    if (!(await this.store.saveWaits(from, entries.at(-1)!.seq, began, [...changed.values()]))) return false;
    const cutoff = Date.now() - this.options.retentionMs;
    if (ended.some((wait) => wait.endedAt!.getTime() < cutoff)) this.readStale = true;
    for (const wait of ended) this.options.ended?.(wait.kind as WaitKind, (wait.endedAt!.getTime() - wait.startedAt.getTime()) / 1000);
    return true;
  }

  /** The figures for waits begun in [from, to), one person's or (owner null) everyone's, days in `timeZone`. */
  async figures(owner: string | null, from: Date, to: Date, timeZone: string): Promise<Figures> {
    const days = daysOf(from, to, timeZone);
    // Exact for the log as it is now: what this process can read into waits first, it does.
    if (this.options.leads()) await this.catchUp();
    const seq = await this.store.indexedThrough();
    // Whose: a person by name, or the team (no name can be mistaken for it).
    const whose = owner === null ? 'team' : `person ${owner}`;
    const key = `${whose}\n${from.toISOString()}\n${to.toISOString()}\n${timeZone}`;
    const kept = this.kept.get(key);
    if (kept && kept.seq === seq && Date.now() - kept.at < FRESH_MS) return kept.figures;
    const figures = (this.queues.get(whose) ?? Promise.resolve()).then(() => this.compute(owner, from, to, timeZone, days));
    const queued = figures.catch(() => {});
    this.queues.set(whose, queued);
    void queued.then(() => this.queues.get(whose) === queued && this.queues.delete(whose));
    this.kept.delete(key);
    if (this.kept.size >= KEPT_FIGURES) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { seq, at: Date.now(), figures });
    figures.catch(() => this.kept.get(key)?.figures === figures && this.kept.delete(key));
    return figures;
  }

  private async compute(owner: string | null, from: Date, to: Date, timeZone: string, days: Day[]): Promise<Figures> {
    const now = new Date();
    const query: FiguresQuery = { owner, from, to, now };
    const previous: FiguresQuery = { owner, from: new Date(2 * from.getTime() - to.getTime()), to: from, now };
    const [totals, before, byKind, byProject, byAgent, dayFigures, endings, blockers] = await Promise.all([
      this.store.figures(query, 'total'),
      this.store.figures(previous, 'total'),
      this.store.figures(query, 'kind'),
      this.store.figures(query, 'project'),
      this.store.figures(query, 'agent'),
      this.store.days(query, days),
      this.store.endings(query),
      this.store.blockers(query, BLOCKERS_READ),
    ]);
    return {
      from,
      to,
      timeZone,
      totals: totals.get('') ?? NO_WAITS,
      previous: before.get('') ?? NO_WAITS,
      byKind,
      byProject,
      byAgent,
      days: days.map((day, i) => ({ ...day, ...dayFigures[i]! })),
      endings,
      blockers,
    };
  }

  /** The waits behind a figure, newest first. */
  waits(owner: string | null, from: Date, to: Date, filter: WaitFilter, limit: number, now = new Date()): Promise<StoredWait[]> {
    return this.store.waits({ owner, from, to, now }, filter, limit);
  }
}

/** The wall-clock offset of `timeZone` at `instant`, in milliseconds (local minus UTC). */
function offsetAt(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!) - Math.floor(instant / 1000) * 1000;
}

/** The instant a local date's day begins in `timeZone` (its midnight; across a DST change, the first instant of that date). */
function startOfDay(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m, d);
  let instant = wall - offsetAt(wall, timeZone);
  instant = wall - offsetAt(instant, timeZone);
  return instant;
}

/** The days of [from, to) in `timeZone`, each with its start and end instants (a day may be 23 or 25 hours long). */
export function daysOf(from: Date, to: Date, timeZone: string): Day[] {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new InsightsRangeError(`Unknown time zone "${timeZone}": use an IANA name such as Europe/Paris, or UTC.`);
  }
  if (!(from < to)) throw new InsightsRangeError('The range is empty: `from` must come before `to`.');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw new InsightsRangeError(`The range is longer than ${MAX_RANGE_DAYS} days: ask for less at a time.`);
  const local = new Date(from.getTime() + offsetAt(from.getTime(), timeZone));
  let [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()];
  const days: Day[] = [];
  for (let start = startOfDay(y, m, d, timeZone); start < to.getTime(); ) {
    const next = new Date(Date.UTC(y, m, d + 1));
    const end = startOfDay(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate(), timeZone);
    const day = `${String(y).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    days.push({ day, start: new Date(Math.max(start, from.getTime())), end: new Date(Math.min(end, to.getTime())) });
    [y, m, d, start] = [next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate(), end];
  }
  return days;
}
