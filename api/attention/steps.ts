// Steps: each report and action as what it does to a session (a transition) and the log entry it
// makes. Pure: the writer applies them in order against the session as the log holds it.
import type { Session } from '../generated/prisma/client.ts';
import { NotInFeedError, SessionNotFoundError } from './errors.ts';
import { deliverAnswer, expirePermission } from './permissions.ts';
import { type AttentionTimings, rawAttention } from './rules.ts';
import { applyActivity, applyClose, applyRegistration, applySpeaker, applyWorktree, type SessionFields } from './transitions.ts';
import type { ReportStep, Step } from './vocabulary.ts';

/** The session a step acts on: an action or a report other than a registration needs one. */
export function existing(sessionId: string, current: SessionFields | null): SessionFields {
  if (!current) throw new SessionNotFoundError(sessionId);
  return current;
}

/** A report as a step; `decisionWaitMs` is how long a prompt's hook waits for an answer from Lookout. */
export function reportStep(sessionId: string, step: ReportStep, decisionWaitMs: number | undefined): Step {
  const eventId = step.eventId ?? null;
  switch (step.kind) {
    case 'register':
      return {
        kind: 'REGISTER',
        eventId,
        input: { ...step.details, titleIfNone: step.titleIfNone },
        apply: (current, at) => applyRegistration(current, sessionId, step.details, step.titleIfNone, at),
      };
    case 'speaker':
      return {
        kind: 'SPEAKER',
        eventId,
        input: { speaker: step.speaker, ...step.details, message: step.message },
        apply: (current, at) => applySpeaker(current, sessionId, step.speaker, step.details ?? {}, at, step.message),
      };
    case 'activity':
      return {
        kind: 'ACTIVITY',
        eventId,
        input: { ...step.activity },
        apply: (current, at) => applyActivity(existing(sessionId, current), step.activity, at, decisionWaitMs),
      };
    case 'worktree':
      return { kind: 'WORKTREE', eventId, input: { ...step.worktree }, apply: (current, at) => applyWorktree(existing(sessionId, current), step.worktree, at) };
    case 'close':
      return {
        kind: 'CLOSE',
        eventId,
        input: { closedBy: step.closedBy, detail: step.detail },
        apply: (current, at) => applyClose(existing(sessionId, current), step.closedBy, at, step.detail),
      };
  }
}

export const seenStep = (sessionId: string): Step => ({ kind: 'SEEN', input: {}, apply: (current, now) => ({ ...existing(sessionId, current), seenAt: now }) });

/** Snoozes what the session needs now; refused when it needs nothing. */
export const snoozeStep = (sessionId: string, until: Date, timings: (session: Pick<Session, 'owner'>) => AttentionTimings): Step => ({
  kind: 'SNOOZE',
  input: { until: until.toISOString() },
  apply: (current, now) => {
    const session = existing(sessionId, current);
    const reason = rawAttention(session, now, timings(session))?.reason;
    if (!reason) throw new NotInFeedError(sessionId);
    return { ...session, snoozedUntil: until, snoozedReason: reason };
  },
});

export const hideStep = (sessionId: string, hidden: boolean): Step => ({
  kind: hidden ? 'HIDE' : 'UNHIDE',
  input: {},
  apply: (current) => ({ ...existing(sessionId, current), hidden }),
});

/** A prompt no longer answerable from Lookout (its hook gave up, or an answer was not received in time). */
export const expireStep = (requestId: string, undelivered = false): Step => ({
  kind: 'EXPIRE',
  input: undelivered ? { requestId, undelivered } : { requestId },
  apply: (current) => current && expirePermission(current, requestId),
});

/** The hook received the answer it waited for. */
export const deliverStep = (requestId: string): Step => ({ kind: 'DELIVER', input: { requestId }, apply: (current) => current && deliverAnswer(current, requestId) });
