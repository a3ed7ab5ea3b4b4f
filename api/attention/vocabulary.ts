// The attention domain's words, one name per idea; every other module of the domain and its users
// speak in these.
//
//   session            One agent conversation, as stored (`Session`).
//   report             What an agent says happened: a `ReportStep` (register, speaker, activity,
//                      worktree, close), from its hook or the API.
//   action             What a person does to a session: mark it seen, snooze, hide, answer a prompt.
//   step               One report or action turned into what it does to a session and the log
//                      entry it makes (`Step`, steps.ts); the pure functions it applies are
//                      transitions (transitions.ts).
//   write              Steps accepted and queued (`QueuedWrite`), planned against the log
//                      (`PlannedWrite`), stored with the others of the same turn in one transaction
//                      (a batch), then committed (writer.ts).
//   log entry          A stored step: its seq and the attention before and after (`LogEntry`, store.ts).
//   attention          Whether and why a session needs its human now, derived from (session, now)
//                      (rules.ts).
//   attention change   A log entry that changed a session's attention, as the feed hears it
//                      (`AttentionChange`): the only thing called a change.
//   feed event         What a subscriber receives: an attention change, or a resync (`FeedEvent`).
//   commit             What follows a durable write: the sessions in memory, the clock, the
//                      subscribers, the server's listeners and the decision waiters learn of it.
//   catch up           Read the log entries other processes appended.
//   time-driven pass   The attention that time alone changed, logged by the process that leads (clock.ts).
//   decision waiter    A hook waiting for the answer to its prompt (decision-waiters.ts).
import type { ClosedBy, Session, SessionEventKind, Speaker } from '../generated/prisma/client.ts';
import type { ActivityChange, SessionDetails, SessionFields, WorktreeChange } from './transitions.ts';
import type { Attention } from './rules.ts';
import type { AttentionTier } from '../../shared/feed-order.ts';

export interface AttentionChange {
  kind: 'change';
  seq: number;
  /** The session as it is now (for a replayed change, possibly newer than the change). */
  session: Session;
  /** The attention after this change; null when the session left the feed. */
  attention: Attention | null;
  previous: Attention | null;
  /** The session's project after and before this change, which a project's subscribers go by. */
  project: string | null;
  previousProject: string | null;
}

/** What one log entry tells subscribers. */
export type EntryAttention = Pick<AttentionChange, 'attention' | 'previous' | 'project' | 'previousProject'>;

/** Sent instead of changes that cannot be delivered (pruned from the log, or dropped for a slow reader). */
export interface FeedResync {
  kind: 'resync';
  latestSeq: number;
  reason: string;
}

export type FeedEvent = AttentionChange | FeedResync;

export interface FeedFilter {
  project?: string | null;
  tier?: AttentionTier | null;
  /** Only this person's sessions; absent: everyone's (the team view). */
  owner?: string | null;
}

/** Who reports or acts: a session is theirs to report on and act on, unless they are an admin. */
export interface Actor {
  person: string;
  admin: boolean;
}

export interface FeedItem {
  session: Session;
  attention: Attention;
}

export interface ReportedEvent {
  sessionId: string;
  /** When it happened; later than now counts as now. */
  at?: Date | null;
  /** The reporter's id for the event: a repeat changes nothing. */
  eventId?: string | null;
}

/** What an agent can report about a session; `report` records several at once. */
export type ReportStep = { eventId?: string | null } & (
  | { kind: 'register'; details: SessionDetails; titleIfNone?: string }
  | { kind: 'speaker'; speaker: Speaker; details?: SessionDetails; message?: string | null }
  | { kind: 'activity'; activity: ActivityChange }
  | { kind: 'worktree'; worktree: WorktreeChange }
  | { kind: 'close'; closedBy: ClosedBy; detail?: string | null }
);

/** One change to a session and its log entry; `apply` returns null when there is nothing to record. */
export interface Step {
  kind: SessionEventKind;
  eventId?: string | null;
  input: Record<string, unknown>;
  apply: (current: SessionFields | null, at: Date, now: Date) => SessionFields | null;
}

/** Hears what the service does, for its metrics. */
export interface AttentionObserver {
  /** This process stored a write of `entries` log entries. */
  wrote(entries: number): void;
  /** A change was handed to `streams` feed streams. */
  delivered(streams: number): void;
  /** A stream began replaying the log. */
  replayed(): void;
  /** A stream was told to refetch. */
  resynced(): void;
  /** A write found that another process had written first to one of its sessions: it reads that, and plans again. */
  conflicted(): void;
}
