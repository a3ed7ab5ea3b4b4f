import { describe, expect, it } from 'vitest';
import type { Attention } from '../attention/rules.ts';
import { DEFAULT_POLICY, isLooking, type News, newsOf, type NotificationPolicy, shouldNotify } from './policy.ts';

const at = (iso: string) => new Date(iso);
const attention = (reason: Attention['reason'], tier: Attention['tier'] = 'NEEDS_YOU', escalatedAt: Date | null = null): Attention => ({
  tier,
  reason,
  label: reason,
  detail: null,
  since: at('2026-11-27T09:00:00Z'),
  escalatedAt,
});

describe('newsOf', () => {
  it.each([
    ['entering "Needs you"', attention('WAITING'), null, 'needs_you'],
    ['from "In focus" to "Needs you"', attention('FAILED'), attention('DONE', 'IN_FOCUS'), 'needs_you'],
    ['escalated', attention('WAITING', 'NEEDS_YOU', at('2026-11-27T09:10:00Z')), attention('WAITING'), 'escalated'],
    ['still needing you, nothing new', attention('WAITING'), attention('AWAITING_REPLY'), null],
    ['entering "In focus"', attention('DONE', 'IN_FOCUS'), null, 'in_focus'],
    ['leaving the feed', null, attention('WAITING'), null],
  ] as const)('%s', (_name, now, previous, news) => {
    expect(newsOf(now, previous)).toBe(news);
  });
});

describe('shouldNotify', () => {
  const policy = (p: Partial<NotificationPolicy>): NotificationPolicy => ({ ...DEFAULT_POLICY, ...p });
  const noon = at('2026-11-27T12:00:00Z');
  // [case, policy, news, reason, project, now, notify?]
  const cases: [string, NotificationPolicy, News, Attention['reason'], string | null, Date, boolean][] = [
    ['normal: a wait', DEFAULT_POLICY, 'needs_you', 'WAITING', 'shop', noon, true],
    ['normal: awaiting a reply', DEFAULT_POLICY, 'needs_you', 'AWAITING_REPLY', 'shop', noon, true],
    ['normal: something only worth a look', DEFAULT_POLICY, 'in_focus', 'DONE', 'shop', noon, false],
    ['quiet: a wait', policy({ mode: 'quiet' }), 'needs_you', 'WAITING', 'shop', noon, true],
    ['quiet: a failure', policy({ mode: 'quiet' }), 'needs_you', 'FAILED', 'shop', noon, true],
    ['quiet: awaiting a reply', policy({ mode: 'quiet' }), 'needs_you', 'AWAITING_REPLY', 'shop', noon, false],
    ['quiet: uncommitted work', policy({ mode: 'quiet' }), 'needs_you', 'UNCOMMITTED_WORK', 'shop', noon, false],
    ['all: done', policy({ mode: 'all' }), 'in_focus', 'DONE', 'shop', noon, true],
    ['a muted project never', policy({ mutedProjects: ['shop'] }), 'needs_you', 'WAITING', 'shop', noon, false],
    ['another project still', policy({ mutedProjects: ['shop'] }), 'needs_you', 'WAITING', 'blog', noon, true],
    ['quiet hours 22:00–07:00, at 23:30 UTC', policy({ quietFrom: 22 * 60, quietUntil: 7 * 60 }), 'needs_you', 'WAITING', null, at('2026-11-27T23:30:00Z'), false],
    ['quiet hours 22:00–07:00, at 06:59 UTC', policy({ quietFrom: 22 * 60, quietUntil: 7 * 60 }), 'needs_you', 'WAITING', null, at('2026-11-27T06:59:00Z'), false],
    ['quiet hours 22:00–07:00, at 07:00 UTC', policy({ quietFrom: 22 * 60, quietUntil: 7 * 60 }), 'needs_you', 'WAITING', null, at('2026-11-27T07:00:00Z'), true],
    ['quiet hours in Paris: 22:30 there is 21:30 UTC', policy({ quietFrom: 22 * 60, quietUntil: 7 * 60, timeZone: 'Europe/Paris' }), 'needs_you', 'WAITING', null, at('2026-11-27T21:30:00Z'), false],
    ['quiet hours 12:00–13:00, at noon', policy({ quietFrom: 12 * 60, quietUntil: 13 * 60 }), 'escalated', 'WAITING', null, noon, false],
  ];
  it.each(cases)('%s', (_name, p, news, reason, project, now, expected) => {
    expect(shouldNotify(p, news, attention(reason, ['DONE', 'STALE'].includes(reason) ? 'IN_FOCUS' : 'NEEDS_YOU'), project, now)).toBe(expected);
  });
});

describe('isLooking: no push to a device whose page is in front of its user', () => {
  const now = at('2026-11-27T12:00:00Z');
  it.each([
    ['the page never said so', null, false],
    ['the page said so a moment ago (it holds 90 s)', at('2026-11-27T12:01:00Z'), true],
    ['the page stopped renewing it (closed, crashed, asleep)', at('2026-11-27T11:59:59Z'), false],
    ['it ends exactly now', now, false],
  ] as const)('%s', (_name, lookingUntil, looking) => {
    expect(isLooking({ lookingUntil }, now)).toBe(looking);
  });
});
