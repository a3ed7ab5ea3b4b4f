// What the Insights figures need of storage: the log to read waits from, the waits kept, and the
// figures over them, computed by the database (api/db/insights-store.ts, one SQL dialect per engine).
import type { LoggedEntry, Wait } from './waits.ts';

export interface StoredWait extends Wait {
  id: number;
}

/** Whose waits, begun when, and the days (in the asker's time zone) to split them into. */
export interface FiguresQuery {
  /** One person's, or (null) everyone's. */
  owner: string | null;
  from: Date;
  to: Date;
  /** What "still waiting" counts up to. */
  now: Date;
}

export interface WaitFigures {
  waits: number;
  waitedSeconds: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
  medianToSeenSeconds: number | null;
  medianToAnswerSeconds: number | null;
  escalations: number;
}

export type FiguresGroup = 'total' | 'kind' | 'project' | 'agent';

export interface Day {
  /** YYYY-MM-DD in the asker's time zone. */
  day: string;
  start: Date;
  end: Date;
}

export interface DayFigures {
  day: string;
  /** Waits begun that day. */
  waits: number;
  /** Time waited within that day, of the waits begun in the range (a wait over midnight counts in both days). */
  waitedSeconds: number;
}

export interface Blocker {
  tool: string;
  /** The permissions.allow entry that would have allowed it; null when none says it exactly. */
  rule: string | null;
  waits: number;
  allowed: number;
  denied: number;
  waitedSeconds: number;
}

export interface WaitFilter {
  kind?: string | null;
  project?: string | null;
  agent?: string | null;
  rule?: string | null;
  /** Begun in [start, end). */
  start?: Date | null;
  end?: Date | null;
}

export interface InsightsStore {
  /** The last log entry the kept waits reflect. */
  indexedThrough(): Promise<number>;
  /** Log entries after `seq`, oldest first, with their sessions' owner and agent. */
  entriesAfter(seq: number, limit: number): Promise<LoggedEntry[]>;
  /** The waits still open of these sessions. */
  openWaits(sessionIds: string[]): Promise<StoredWait[]>;
  /**
   * Stores what the entries after `from` through `to` did, in one transaction, unless the kept
   * waits no longer reflect `from` (another process stored them first): then false, nothing stored.
   */
  saveWaits(from: number, to: number, began: Wait[], changed: StoredWait[]): Promise<boolean>;
  figures(query: FiguresQuery, group: FiguresGroup): Promise<Map<string, WaitFigures>>;
  days(query: FiguresQuery, days: Day[]): Promise<DayFigures[]>;
  /** How the waits begun in the range ended (or were answered): count by ending. */
  endings(query: FiguresQuery): Promise<Map<string, number>>;
  /** The permission prompts waited on most, by tool and rule. */
  blockers(query: FiguresQuery, limit: number): Promise<Blocker[]>;
  /** The waits behind a figure, newest first. */
  waits(query: FiguresQuery, filter: WaitFilter, limit: number): Promise<StoredWait[]>;
  /** Drops waits that ended before `cutoff`. */
  prune(cutoff: Date): Promise<void>;
}
