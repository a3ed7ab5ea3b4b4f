// Transitions: how each report or action moves a session, as pure functions of (session, input, now).
// Events may arrive late, twice or out of order, so each kind of fact keeps the time of the newest
// report it applied, and an older report never moves it backwards.
import type { AgentState, ClosedBy, Session, Speaker, WaitReason } from '../generated/prisma/client.ts';
import { closePermissions, endPermission, endSubagentPermissions, openPermission, openRequests, type PermissionAsk, type ToolCall } from './permissions.ts';
import { type AgentWait, agentWaitsOf } from './rules.ts';

/** The person of LOOKOUT_TOKEN, and of a Lookout without one: a new session is theirs unless reported with a person's token. */
export const OWNER = 'you';

/** A session's stored facts, without the columns the store maintains itself. */
export type SessionFields = Omit<Session, 'createdAt' | 'updatedAt' | 'tracked'>;

export interface SessionDetails {
  agent?: string | null;
  title?: string | null;
  project?: string | null;
  cwd?: string | null;
  branch?: string | null;
  host?: string | null;
  link?: string | null;
  /** The agent's process and transcript on Lookout's own machine (only a same-host report sets them). */
  agentPid?: number | null;
  transcriptPath?: string | null;
}

export type ActivityState = Exclude<AgentState, 'ENDED'>;

export interface ActivityChange {
  state: ActivityState;
  waitReason?: WaitReason | null;
  waitDetail?: string | null;
  /** A subagent's activity (its id): it moves that subagent's own prompt only, never the main thread. */
  agentId?: string | null;
  /**
   * A hint rather than a report (a notification, the input prompt sitting idle, the transcript): it
   * moves only a session that is working or waiting, never replaces one wait with another, and
   * never clears a failure.
   */
  hint?: boolean;
  /** Background tasks still running as the main thread's turn ends (the turn is paused, not over). */
  backgroundTasks?: number;
  /** A wait whose hook waits for an answer: it can be answered from Lookout until `waitMs` passes. */
  permission?: PermissionAsk;
  /** The tool call this event is about (a tool starting, finishing, denied): it ends that call's prompt only. */
  toolCall?: ToolCall | null;
  /**
   * What became of the tool call: it ran (so its prompt, if it had one, was allowed), or it was
   * denied. Moves nothing; kept in the log, where Insights reads how a prompt was answered in the terminal.
   */
  toolOutcome?: 'RAN' | 'DENIED';
}

export interface WorktreeChange {
  uncommittedFiles: number | null;
  branch?: string | null;
  /** A digest of the uncommitted changes as they are now (which files, as they are): null or absent, unknown. */
  state?: string | null;
  /** Measured as the session started: what it found there is not its work. */
  found?: boolean;
}

/** When a report happened: its own time, but never later than now, so no duration is ever negative. */
export function eventTime(at: Date | null | undefined, now: Date): Date {
  return at && at < now ? at : now;
}

function withDetails<S extends SessionFields>(session: S, details: SessionDetails): S {
  const next = { ...session };
  for (const key of ['agent', 'title', 'project', 'cwd', 'branch', 'host', 'link', 'agentPid', 'transcriptPath'] as const) {
    const value = details[key];
    if (value !== undefined && value !== null) (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

function seenEvent(session: SessionFields, at: Date): SessionFields {
  return session.lastEventAt >= at ? session : { ...session, lastEventAt: at };
}

export function newSession(id: string, at: Date, owner = OWNER): SessionFields {
  return {
    id,
    owner,
    agent: 'unknown',
    title: null,
    project: null,
    cwd: null,
    branch: null,
    host: null,
    link: null,
    state: 'IDLE',
    stateAt: at,
    activityAt: at,
    waitReason: null,
    waitDetail: null,
    lastSpeaker: null,
    lastSpeakerAt: null,
    lastEventAt: at,
    uncommittedFiles: null,
    worktreeAt: null,
    dirtySince: null,
    closedBy: null,
    closedAt: null,
    hidden: false,
    seenAt: null,
    snoozedUntil: null,
    snoozedReason: null,
    agentWaits: null,
    backgroundTasks: 0,
    lastMessage: null,
    closeDetail: null,
    agentPid: null,
    transcriptPath: null,
    permissionRequest: null,
    worktreeState: null,
    foundWorktree: null,
  };
}

/**
 * A session the agent announced, or new details of it; null when that changes nothing, so that the
 * announcement each hook repeats writes nothing.
 */
export function applyRegistration(
  current: SessionFields | null,
  id: string,
  details: SessionDetails,
  titleIfNone: string | undefined,
  at: Date,
): SessionFields | null {
  const base = current ?? newSession(id, at);
  const next = withDetails(base, { ...details, title: details.title ?? (base.title ? undefined : titleIfNone) });
  const changed = !current || (Object.keys(next) as (keyof SessionFields)[]).some((key) => next[key] !== current[key]);
  return changed ? next : null;
}

/** Who spoke last; `message` is the gist of what the assistant said (a user's turn clears it). */
export function applySpeaker(
  current: SessionFields | null,
  id: string,
  speaker: Speaker,
  details: SessionDetails,
  at: Date,
  message?: string | null,
): SessionFields {
  const session = withDetails(seenEvent(current ?? newSession(id, at), at), details);
  if (session.lastSpeakerAt && session.lastSpeakerAt > at) return session;
  return { ...session, lastSpeaker: speaker, lastSpeakerAt: at, lastMessage: speaker === 'ASSISTANT' ? (message ?? null) : null };
}

function withAgentWaits(session: SessionFields, waits: Record<string, AgentWait>): SessionFields {
  return { ...session, agentWaits: Object.keys(waits).length ? JSON.stringify(waits) : null };
}

/** A subagent's own prompt opens or ends; the main thread's state, wait and speaker stay as they are. */
function applyAgentActivity(session: SessionFields, agentId: string, change: ActivityChange, at: Date, waitMs: number): SessionFields {
  const waits = { ...agentWaitsOf(session) };
  const open = waits[agentId];
  if (open && new Date(open.at) > at) return session;
  if (change.state === 'WAITING' && change.waitReason && change.waitReason !== 'ERROR') {
    waits[agentId] = { reason: change.waitReason, detail: change.waitDetail ?? null, at: at.toISOString() };
    const opened = withAgentWaits(session, waits);
    return change.permission ? openPermission(opened, change.permission, at, waitMs) : opened;
  }
  if (!open) return session;
  delete waits[agentId];
  return endPermission(withAgentWaits(session, waits), agentId);
}

/** Whether a hint may move the session: see ActivityChange.hint. */
function hintApplies(session: SessionFields, change: ActivityChange): boolean {
  if (session.waitReason === 'ERROR' || (session.state !== 'WORKING' && session.state !== 'WAITING')) return false;
  const waiting = session.state === 'WAITING' || session.agentWaits !== null;
  if (change.state === 'WAITING') return !waiting;
  if (change.state === 'WORKING') return session.state === 'WAITING';
  return true;
}

/**
 * `waitMs`: how long a prompt's hook waits for an answer from Lookout (see ActivityChange.permission).
 */
export function applyActivity(current: SessionFields, change: ActivityChange, at: Date, waitMs = 0): SessionFields {
  let session = seenEvent(current, at);
  if (change.agentId) return session.closedAt ? session : applyAgentActivity(session, change.agentId, change, at, waitMs);
  // Closing sets activityAt too, so activity after a close means the session was resumed.
  if (session.activityAt > at) return session;
  if (change.hint) {
    // The input prompt sitting idle means no dialog is open, a subagent's included.
    if (change.state === 'IDLE' && session.waitReason !== 'ERROR' && session.agentWaits) {
      session = endSubagentPermissions(withAgentWaits(session, {}));
    }
    if (!hintApplies(session, change)) return session;
  }
  const waitReason = change.state === 'WORKING' ? null : (change.waitReason ?? null);
  const waitDetail = waitReason ? (change.waitDetail ?? null) : null;
  const stateChanged = session.state !== change.state || session.waitReason !== waitReason;
  // A new prompt opens beside any still open; a move out of waiting ends the prompts it is about
  // (one tool call's, or all of the main thread's when it names none).
  if (change.permission && change.state === 'WAITING') session = openPermission(session, change.permission, at, waitMs);
  else if (change.state !== 'WAITING') {
    session = endPermission(session, null, change.toolCall);
    // One tool call moving on while another's prompt is still open (parallel calls): the session still waits on that one.
    const open = change.toolCall ? openRequests(session, null).at(-1) : undefined;
    if (open?.wait) {
      const stateAt = session.state === 'WAITING' ? session.stateAt : at;
      return { ...session, state: 'WAITING', waitReason: open.wait.reason, waitDetail: open.wait.detail, activityAt: at, stateAt };
    }
  }
  return {
    ...session,
    state: change.state,
    waitReason,
    waitDetail,
    activityAt: at,
    stateAt: stateChanged ? at : session.stateAt,
    backgroundTasks: change.backgroundTasks ?? (change.state === 'IDLE' ? session.backgroundTasks : 0),
    closedBy: null,
    closedAt: null,
    closeDetail: null,
  };
}

export function applyWorktree(current: SessionFields, change: WorktreeChange, at: Date): SessionFields {
  const session = seenEvent(current, at);
  if (session.worktreeAt && session.worktreeAt > at) return session;
  const dirty = change.uncommittedFiles !== null && change.uncommittedFiles > 0;
  const wasDirty = session.uncommittedFiles !== null && session.uncommittedFiles > 0;
  const state = change.state ?? null;
  return {
    ...withDetails(session, { branch: change.branch }),
    uncommittedFiles: change.uncommittedFiles,
    worktreeAt: at,
    dirtySince: dirty ? (wasDirty ? session.dirtySince : at) : null,
    worktreeState: state,
    // Only the first look, as the session began, says what it found.
    foundWorktree: change.found && session.foundWorktree === null ? state : session.foundWorktree,
  };
}

export function applyClose(current: SessionFields, closedBy: ClosedBy, at: Date, detail?: string | null): SessionFields {
  const session = seenEvent(current, at);
  // Already closed (the first close stands), or activity newer than this close: nothing to do.
  if (session.closedAt || session.activityAt > at) return session;
  return {
    ...closePermissions(session),
    state: 'ENDED',
    stateAt: at,
    activityAt: at,
    waitReason: session.waitReason === 'ERROR' ? 'ERROR' : null,
    waitDetail: session.waitReason === 'ERROR' ? session.waitDetail : null,
    agentWaits: null,
    backgroundTasks: 0,
    closedBy,
    closedAt: at,
    closeDetail: detail ?? null,
  };
}
