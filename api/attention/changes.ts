// How each reported change moves a session: pure functions of (session, input, now).
// Events may arrive late, twice or out of order, so each kind of fact keeps the time of the newest
// report it applied, and an older report never moves it backwards.
import type { AgentState, ClosedBy, Session, Speaker, WaitReason } from '../generated/prisma/client.ts';

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
}

export type ActivityState = Exclude<AgentState, 'ENDED'>;

export interface ActivityChange {
  state: ActivityState;
  waitReason?: WaitReason | null;
  waitDetail?: string | null;
}

export interface WorktreeChange {
  uncommittedFiles: number | null;
  branch?: string | null;
}

/** When a report happened: its own time, but never later than now, so no duration is ever negative. */
export function eventTime(at: Date | null | undefined, now: Date): Date {
  return at && at < now ? at : now;
}

function withDetails<S extends SessionFields>(session: S, details: SessionDetails): S {
  const next = { ...session };
  for (const key of ['agent', 'title', 'project', 'cwd', 'branch', 'host', 'link'] as const) {
    const value = details[key];
    if (value !== undefined && value !== null) next[key] = value;
  }
  return next;
}

function seenEvent(session: SessionFields, at: Date): SessionFields {
  return session.lastEventAt >= at ? session : { ...session, lastEventAt: at };
}

export function newSession(id: string, at: Date): SessionFields {
  return {
    id,
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

export function applySpeaker(
  current: SessionFields | null,
  id: string,
  speaker: Speaker,
  details: SessionDetails,
  at: Date,
): SessionFields {
  const session = withDetails(seenEvent(current ?? newSession(id, at), at), details);
  if (session.lastSpeakerAt && session.lastSpeakerAt > at) return session;
  return { ...session, lastSpeaker: speaker, lastSpeakerAt: at };
}

export function applyActivity(current: SessionFields, change: ActivityChange, at: Date): SessionFields {
  const session = seenEvent(current, at);
  // Closing sets activityAt too, so activity after a close means the session was resumed.
  if (session.activityAt > at) return session;
  const waitReason = change.state === 'WORKING' ? null : (change.waitReason ?? null);
  const waitDetail = waitReason ? (change.waitDetail ?? null) : null;
  const stateChanged = session.state !== change.state || session.waitReason !== waitReason;
  return {
    ...session,
    state: change.state,
    waitReason,
    waitDetail,
    activityAt: at,
    stateAt: stateChanged ? at : session.stateAt,
    closedBy: null,
    closedAt: null,
  };
}

export function applyWorktree(current: SessionFields, change: WorktreeChange, at: Date): SessionFields {
  const session = seenEvent(current, at);
  if (session.worktreeAt && session.worktreeAt > at) return session;
  const dirty = change.uncommittedFiles !== null && change.uncommittedFiles > 0;
  const wasDirty = session.uncommittedFiles !== null && session.uncommittedFiles > 0;
  return {
    ...withDetails(session, { branch: change.branch }),
    uncommittedFiles: change.uncommittedFiles,
    worktreeAt: at,
    dirtySince: dirty ? (wasDirty ? session.dirtySince : at) : null,
  };
}

export function applyClose(current: SessionFields, closedBy: ClosedBy, at: Date): SessionFields {
  const session = seenEvent(current, at);
  // Already closed (the first close stands), or activity newer than this close: nothing to do.
  if (session.closedAt || session.activityAt > at) return session;
  return {
    ...session,
    state: 'ENDED',
    stateAt: at,
    activityAt: at,
    waitReason: session.waitReason === 'ERROR' ? 'ERROR' : null,
    waitDetail: session.waitReason === 'ERROR' ? session.waitDetail : null,
    closedBy,
    closedAt: at,
  };
}
