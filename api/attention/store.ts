// What the attention service needs of storage: sessions, their append-only event log with the
// attention each entry led to, and one transaction around a write. It deals in the domain's
// values (sessions, attentions, inputs); how they are encoded is each implementation's.
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

/** A log entry that changed someone's attention, as subscribers replay it. */
export interface LoggedChange {
  seq: number;
  sessionId: string;
  attention: Attention | null;
  previousAttention: Attention | null;
  project: string | null;
  previousProject: string | null;
}

export interface AttentionStore {
  /** Runs `work` in one transaction: all of it is stored, durably, or none of it. */
  transaction<T>(work: () => T): T;
  session(id: string): Session | null;
  /** The sessions kept in memory, each with the attention its newest log entry holds. */
  trackedSessions(): { session: Session; attention: Attention | null }[];
  /** The newest seq in the log (0 when it is empty). */
  latestSeq(): number;
  /** Whether the session's log already holds this reporter's event id. */
  isRepeat(sessionId: string, eventId: string): boolean;
  saveSession(session: Session): void;
  setTracked(sessionId: string, tracked: boolean, at: Date): void;
  /** Appends a log entry and returns its seq. */
  appendEvent(event: NewEvent): number;
  /** Log entries after `seq` that changed someone's attention, oldest first. */
  changesAfter(seq: number, limit: number): LoggedChange[];
  /** Drops entries recorded before `cutoff`, except each session's newest; returns the highest seq dropped. */
  prune(cutoff: Date, prunedThroughSeq: number): number;
  /** The highest seq pruned so far: a reader after an older one has missed changes. */
  prunedThroughSeq(): number;
  close(): void;
}
