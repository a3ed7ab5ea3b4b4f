// A person's notification policy, and the one pure decision every channel follows: whether a
// change in their feed is worth telling them outside the page, now.
import type { Attention } from '../attention/rules.ts';

export const NOTIFY_MODES = ['quiet', 'normal', 'all'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

export interface NotificationPolicy {
  mode: NotifyMode;
  mutedProjects: string[];
  /** Quiet hours, minutes after midnight in `timeZone`; both null: none. */
  quietFrom: number | null;
  quietUntil: number | null;
  timeZone: string;
  /** A need that lasts this long is escalated (notified again); 0: never; null: the server's default (LOOKOUT_ESCALATE_MINUTES). */
  escalateAfterMinutes: number | null;
}

export const DEFAULT_POLICY: NotificationPolicy = { mode: 'normal', mutedProjects: [], quietFrom: null, quietUntil: null, timeZone: 'UTC', escalateAfterMinutes: null };

/** What a change tells, when it tells anything: it entered the feed's tier, or it was escalated. */
export type News = 'needs_you' | 'in_focus' | 'escalated';

/** The change's news, if any: it entered "Needs you" (or "In focus"), or it was escalated. */
export function newsOf(attention: Attention | null, previous: Attention | null): News | null {
  if (!attention) return null;
  if (attention.tier === 'NEEDS_YOU') {
    if (previous?.tier !== 'NEEDS_YOU') return 'needs_you';
    return attention.escalatedAt && !previous.escalatedAt ? 'escalated' : null;
  }
  return previous ? null : 'in_focus';
}

/** Minutes after midnight, now, in a time zone (UTC if it is not one). */
function minuteOfDay(now: Date, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  } catch {
    return now.getUTCHours() * 60 + now.getUTCMinutes();
  }
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return value('hour') * 60 + value('minute');
}

function inQuietHours(policy: NotificationPolicy, now: Date): boolean {
  const { quietFrom: from, quietUntil: until } = policy;
  if (from === null || until === null || from === until) return false;
  const minute = minuteOfDay(now, policy.timeZone);
  // 22:00–07:00 wraps past midnight.
  return from < until ? minute >= from && minute < until : minute >= from || minute < until;
}

/** Whether this news about this attention reaches the person outside the page, now. */
export function shouldNotify(policy: NotificationPolicy, news: News, attention: Attention, project: string | null, now: Date): boolean {
  if (project && policy.mutedProjects.includes(project)) return false;
  if (inQuietHours(policy, now)) return false;
  if (policy.mode === 'quiet') return attention.reason === 'WAITING' || attention.reason === 'FAILED';
  if (policy.mode === 'normal') return news !== 'in_focus';
  return true;
}

/** Whether a device's page is in front of its user now (it tells the server, and renews it): no push to it then. */
export function isLooking(device: { lookingUntil: Date | null }, now: Date): boolean {
  return device.lookingUntil !== null && device.lookingUntil > now;
}
