// The attention rules: whether a session needs the human now, why, and since when.
// Everything here is a pure function of (session, now, timings); nothing reads a clock or a store.
import type { Session } from '../generated/prisma/client.ts';
import { ATTENTION_TIERS, type AttentionReason, type AttentionTier } from '../../shared/feed-order.ts';

export interface Attention {
  tier: AttentionTier;
  reason: AttentionReason;
  label: string;
  /** One line that says what exactly: the command awaiting permission, the question, what the assistant said. */
  detail: string | null;
  since: Date;
  /** When a need that dragged on was escalated (notified again); null until then. Once per reason. */
  escalatedAt: Date | null;
}

type Waiting = Exclude<NonNullable<Session['waitReason']>, 'ERROR'>;

/** A subagent's prompt that is still open. */
export interface AgentWait {
  reason: Waiting;
  detail: string | null;
  /** ISO time it opened. */
  at: string;
}

/** The session's open subagent prompts, by agent id. */
/** What a session is called: its first prompt; before there is one, its project and branch, or "New session". */
export function titleOf(s: Pick<Session, 'title' | 'project' | 'branch'>): string {
  return s.title ?? ([s.project, s.branch].filter(Boolean).join(' · ') || 'New session');
}

export function agentWaitsOf(s: Pick<Session, 'agentWaits'>): Record<string, AgentWait> {
  return s.agentWaits ? (JSON.parse(s.agentWaits) as Record<string, AgentWait>) : {};
}

export interface AttentionTimings {
  /** A working session with no event for this long is STALE. */
  staleAfterMs: number;
  /** An ended session stays DONE in the feed for this long. */
  doneForMs: number;
  /** A session that has needed its user this long is escalated; absent: never. */
  escalateAfterMs?: number;
}

export type SessionFacts = Pick<
  Session,
  | 'state'
  | 'stateAt'
  | 'waitReason'
  | 'waitDetail'
  | 'lastSpeaker'
  | 'lastSpeakerAt'
  | 'lastEventAt'
  | 'uncommittedFiles'
  | 'dirtySince'
  | 'worktreeState'
  | 'foundWorktree'
  | 'closedBy'
  | 'closedAt'
  | 'hidden'
  | 'seenAt'
  | 'snoozedUntil'
  | 'snoozedReason'
  | 'agentWaits'
  | 'backgroundTasks'
  | 'lastMessage'
  | 'closeDetail'
  | 'agentPid'
  | 'transcriptPath'
>;

const TIER_OF: Record<AttentionReason, AttentionTier> = {
  WAITING: 'NEEDS_YOU',
  FAILED: 'NEEDS_YOU',
  AWAITING_REPLY: 'NEEDS_YOU',
  UNCOMMITTED_WORK: 'NEEDS_YOU',
  DONE: 'IN_FOCUS',
  STALE: 'IN_FOCUS',
};

export const WAITING_LABELS = {
  PERMISSION: 'Waiting for permission',
  QUESTION: 'Has a question',
  REVIEW: 'Waiting for review',
  BLOCKED: 'Blocked',
} as const;

function attention(reason: AttentionReason, label: string, since: Date, detail: string | null = null): Attention {
  return { tier: TIER_OF[reason], reason, label, detail, since, escalatedAt: null };
}

/** A need that has lasted `escalateAfterMs` is escalated at that moment: once, until the reason changes. */
function escalated(raw: Attention | null, now: Date, t: AttentionTimings): Attention | null {
  if (!raw || raw.tier !== 'NEEDS_YOU' || t.escalateAfterMs === undefined) return raw;
  const at = raw.since.getTime() + t.escalateAfterMs;
  return at <= now.getTime() ? { ...raw, escalatedAt: new Date(at) } : raw;
}

function latest(...dates: (Date | null)[]): Date {
  return new Date(Math.max(...dates.map((d) => d?.getTime() ?? 0)));
}

/** The newest open subagent prompt, if any. */
function newestAgentWait(s: SessionFacts): AgentWait | null {
  if (!s.agentWaits) return null;
  return Object.values(agentWaitsOf(s)).reduce<AgentWait | null>((newest, wait) => (!newest || wait.at > newest.at ? wait : newest), null);
}

/**
 * Whether time alone can make the session STALE: a session whose agent process Lookout can check
 * (same machine) is checked instead, and never called stale on a guess.
 */
function canGoStale(s: SessionFacts): boolean {
  return s.closedAt === null && s.state === 'WORKING' && s.agentPid === null;
}

/** The reason the session would be in the feed, before the user's hide, seen and snooze. */
export function rawAttention(s: SessionFacts, now: Date, t: AttentionTimings): Attention | null {
  return escalated(reasonOf(s, now, t), now, t);
}

function reasonOf(s: SessionFacts, now: Date, t: AttentionTimings): Attention | null {
  const closed = s.closedAt !== null;
  const closedByUser = s.closedBy === 'USER';
  // The turn ended while background work runs: the agent resumes by itself, nobody needs to reply.
  const paused = !closed && s.state === 'IDLE' && s.backgroundTasks > 0;

  if (!closed && s.state === 'WAITING' && s.waitReason && s.waitReason !== 'ERROR') {
    return attention('WAITING', WAITING_LABELS[s.waitReason], s.stateAt, s.waitDetail);
  }
  const agentWait = closed ? null : newestAgentWait(s);
  if (agentWait) return attention('WAITING', WAITING_LABELS[agentWait.reason], new Date(agentWait.at), agentWait.detail);
  if (s.waitReason === 'ERROR' && s.state !== 'WORKING' && !closedByUser) {
    return attention('FAILED', 'Failed', s.stateAt, s.waitDetail);
  }
  if (!closed && !paused && s.lastSpeaker === 'ASSISTANT' && s.state !== 'WORKING') {
    return attention('AWAITING_REPLY', 'Awaiting your reply', s.lastSpeakerAt ?? s.stateAt, s.lastMessage);
  }
  if (((s.state === 'IDLE' && !paused) || closed) && s.uncommittedFiles !== null && s.uncommittedFiles > 0 && !onlyWhatItFound(s)) {
    const files = s.uncommittedFiles === 1 ? '1 uncommitted file' : `${s.uncommittedFiles} uncommitted files`;
    return attention('UNCOMMITTED_WORK', files, latest(s.dirtySince, closed ? s.closedAt : s.stateAt));
  }
  if (closed && !closedByUser && s.closedAt && now.getTime() - s.closedAt.getTime() < t.doneForMs) {
    const said = s.lastSpeaker === 'ASSISTANT' ? s.lastMessage : null;
    return attention('DONE', 'Done', s.closedAt, said ?? s.closeDetail);
  }
  if (canGoStale(s) && now.getTime() - s.lastEventAt.getTime() >= t.staleAfterMs) {
    return attention('STALE', 'No sign of life', s.lastEventAt);
  }
  return null;
}

/** The session's attention as the feed shows it, or null when it is not in the feed. */
/**
 * The work tree holds exactly the uncommitted changes the session found when it started (another
 * session's, left before \`/clear\`): none of them are its work. Unknown either way: they may be.
 */
const onlyWhatItFound = (s: Pick<Session, 'worktreeState' | 'foundWorktree'>) => s.worktreeState !== null && s.worktreeState === s.foundWorktree;

export function deriveAttention(s: SessionFacts, now: Date, t: AttentionTimings): Attention | null {
  if (s.hidden) return null;
  const raw = rawAttention(s, now, t);
  if (!raw) return null;
  // Seen holds until the session's next event after it.
  if (s.seenAt && s.seenAt.getTime() >= s.lastEventAt.getTime()) return null;
  // A snooze holds until it ends or the reason changes.
  if (s.snoozedUntil && now < s.snoozedUntil && s.snoozedReason === raw.reason) return null;
  return raw;
}

/** The next moment the attention can change with no new event: done expiring, stale beginning, a snooze ending, a need escalating. */
export function nextAttentionChangeAt(s: SessionFacts, now: Date, t: AttentionTimings): Date | null {
  if (s.hidden) return null;
  const candidates: number[] = [];
  const raw = rawAttention(s, now, t);
  if (raw?.tier === 'NEEDS_YOU' && !raw.escalatedAt && t.escalateAfterMs !== undefined) candidates.push(raw.since.getTime() + t.escalateAfterMs);
  if (s.closedAt && s.closedBy !== 'USER') candidates.push(s.closedAt.getTime() + t.doneForMs);
  if (canGoStale(s)) candidates.push(s.lastEventAt.getTime() + t.staleAfterMs);
  if (s.snoozedUntil) candidates.push(s.snoozedUntil.getTime());
  const future = candidates.filter((ms) => ms > now.getTime());
  return future.length ? new Date(Math.min(...future)) : null;
}

/**
 * A same-host session whose agent Lookout checks (its process, its transcript) while it works or
 * waits: the check, not a new event, can move it.
 */
export function isChecked(s: SessionFacts): boolean {
  const busy = s.state === 'WORKING' || s.state === 'WAITING' || s.agentWaits !== null;
  return s.closedAt === null && busy && (s.agentPid !== null || s.transcriptPath !== null);
}

/** In the feed now, or able to enter it with no new event: the sessions the service keeps in memory. */
export function isTracked(s: SessionFacts, now: Date, t: AttentionTimings): boolean {
  return deriveAttention(s, now, t) !== null || nextAttentionChangeAt(s, now, t) !== null || isChecked(s);
}

export function sameAttention(a: Attention | null, b: Attention | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.tier === b.tier &&
    a.reason === b.reason &&
    a.label === b.label &&
    (a.detail ?? null) === (b.detail ?? null) &&
    a.since.getTime() === b.since.getTime() &&
    (a.escalatedAt?.getTime() ?? null) === (b.escalatedAt?.getTime() ?? null)
  );
}

/** True when an attention of this tier passes a `minTier` filter (NEEDS_YOU is the highest). */
export function meetsTier(tier: AttentionTier, minTier: AttentionTier): boolean {
  return ATTENTION_TIERS.indexOf(tier) <= ATTENTION_TIERS.indexOf(minTier);
}
