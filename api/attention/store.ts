// What the attention service needs of storage: sessions, their append-only event log with the
// attention each entry led to, and how several processes share one log. It deals in the domain's
// values (sessions, attentions, inputs); how they are encoded is each implementation's
// (api/db/sqlite-store.ts, api/db/postgresql-store.ts).
import type { Session, SessionEventKind } from '../generated/prisma/client.ts';
import type { Attention } from './rules.ts';

export interface NewEvent {
  sessionId: string;
  kind: SessionEventKind;
  eventId: string | null;
  at: Date;
  recordedAt: Date;
  /** The accepted input, as reported. */
  input: Record<string, unknown>;
  /** The attention after and before (null: not in the feed). */
  attention: Attention | null;
  previousAttention: Attention | null;
  /** The session's project after and before the change. */
  project: string | null;
  previousProject: string | null;
}

/** A log entry as readers replay it: what it did to the session's attention. */
export interface LogEntry {
  seq: number;
  sessionId: string;
  attention: Attention | null;
  previousAttention: Attention | null;
  project: string | null;
  previousProject: string | null;
}

/** One write: sessions saved, tracked flags set, and log entries appended, all or nothing. */
export interface Writes {
  sessions: Session[];
  tracked: { sessionId: string; tracked: boolean; at: Date }[];
  events: NewEvent[];
}

/** A write planned against the log as it stood after entry `after`. */
export interface Append {
  after: number;
  writes: Writes;
}

/** What planning a write reads first: the sessions named, and which of the reporters' event ids the log holds. */
export interface WriteReads {
  sessions: Map<string, Session>;
  /** `${sessionId}\n${eventId}` of each one already logged. */
  repeats: Set<string>;
}

export const eventKey = (sessionId: string, eventId: string) => `${sessionId}\n${eventId}`;

/** How many log entries a catch-up with other processes' writes reads at a time. */
export const CATCH_UP_PAGE = 1_000;

/** The first CATCH_UP_PAGE log entries after `after` (written by other processes), with their sessions and how far the log is pruned. */
export interface Appended {
  after: number;
  entries: LogEntry[];
  sessions: Map<string, Session>;
  /** How far the leading process has pruned the log. */
  prunedThroughSeq: number;
}

/** What a store tells the process it serves about the others. */
export interface Coordinated {
  /** The log may have grown (up to `seq`, when known: every entry up to it is committed). */
  appended(seq?: number): void;
  leading(leads: boolean): void;
}

/** A write stored: its events' seqs, in order, and the entries others appended between its plan and them. */
export interface Stored {
  seqs: number[];
  meanwhile?: Appended;
}

export interface AttentionStore {
  /** The sessions (those that exist) and which of these reporter event ids are logged already. */
  read(sessionIds: string[], events: { sessionId: string; eventId: string }[]): Promise<WriteReads>;
  /** The sessions kept in memory, each with the attention its newest log entry holds. */
  trackedSessions(): Promise<{ session: Session; attention: Attention | null }[]>;
  /** The newest seq in the log (0 when it is empty). */
  latestSeq(): Promise<number>;
  /**
   * Stores `append.writes` in one durable transaction after log entry `append.after`, and returns
   * each event's seq, in order (consecutive). When the log has grown past `after` (another process
   * wrote), a store may still append at the log's end if none of the new entries names one of the
   * write's sessions (the plan read them as they are), and then hands those entries back, to be
   * heard before the write's own; otherwise it calls `replan` and stores what that plans instead
   * (the caller reads what was written and plans again); where several processes append
   * (PostgreSQL), while it holds the log's lock, so the second plan cannot lose. Appends are
   * serialised: a reader never sees a lower seq commit later. A store that read what was appended
   * meanwhile with the lock hands it to `replan`, so that the caller need not read it again while
   * the lock is held.
   */
  write(append: Append, replan: (meanwhile?: Appended) => Promise<Append>): Promise<Stored>;
  /**
   * The seq of `event` if the log holds it after `after` (null if not): a write whose answer was
   * lost (the connection broke during its commit) may have been stored all the same, its events
   * from there on.
   */
  logged(after: number, event: NewEvent): Promise<number | null>;
  /** Log entries after `seq` that changed someone's attention, oldest first, each with what it did. */
  changesAfter(seq: number, limit: number): Promise<LogEntry[]>;
  /** What was appended after `after`, to catch up with: every kind of entry, their sessions, how far the log is pruned. */
  appendedAfter(after: number): Promise<Appended>;
  /** Drops entries recorded before `cutoff`, except each session's newest; returns the highest seq dropped. */
  prune(cutoff: Date, prunedThroughSeq: number): Promise<number>;
  /** The highest seq pruned so far: a reader after an older one has missed changes. */
  prunedThroughSeq(): Promise<number>;
  /**
   * Calls `appended` whenever another process may have appended to the log (never, when no other
   * process can), with the seq it appended up to when that is known, and `leading` when this process
   * starts or stops being the one that applies time-driven changes and prunes. Returns how to stop.
   */
  coordinate(listeners: Coordinated): () => void;
  /** Whether other processes may append to this log (PostgreSQL's replicas); false: this process is its only writer. */
  readonly shared: boolean;
  close(): Promise<void>;
}
