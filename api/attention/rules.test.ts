import { describe, expect, it } from 'vitest';
import { applyActivity, applyClose, applySpeaker, applyWorktree, eventTime, newSession, type SessionFields } from './transitions.ts';
import { type Attention, deriveAttention, isTracked, nextAttentionChangeAt } from './rules.ts';
import { type AttentionReason, compareAttention } from '../../shared/feed-order.ts';

const timings = { staleAfterMs: 30 * 60_000, doneForMs: 10 * 60_000 };
const T0 = new Date('2026-11-25T10:00:00Z');
const min = (n: number) => new Date(T0.getTime() + n * 60_000);

function session(overrides: Partial<SessionFields> = {}): SessionFields {
  return { ...newSession('s1', T0), ...overrides };
}

interface Row {
  name: string;
  session: Partial<SessionFields>;
  at?: number;
  reason: AttentionReason | null;
  label?: string;
  detail?: string | null;
  since?: number;
}

const agentWaits = (waits: Record<string, { reason: string; detail: string | null; at: number }>) =>
  JSON.stringify(Object.fromEntries(Object.entries(waits).map(([id, w]) => [id, { ...w, at: min(w.at).toISOString() }])));

// Times are minutes after T0; `at` is when the rules are asked (default: 1 minute after T0).
const table: Row[] = [
  { name: 'a new idle session is not in the feed', session: {}, reason: null },
  { name: 'working with fresh events is not in the feed', session: { state: 'WORKING' }, at: 29, reason: null },
  {
    name: 'waiting for permission',
    session: { state: 'WAITING', waitReason: 'PERMISSION', stateAt: min(2), lastEventAt: min(2) },
    at: 5,
    reason: 'WAITING',
    label: 'Waiting for permission',
    since: 2,
  },
  { name: 'a question', session: { state: 'WAITING', waitReason: 'QUESTION' }, reason: 'WAITING', label: 'Has a question' },
  { name: 'review', session: { state: 'WAITING', waitReason: 'REVIEW' }, reason: 'WAITING', label: 'Waiting for review' },
  { name: 'blocked', session: { state: 'WAITING', waitReason: 'BLOCKED' }, reason: 'WAITING', label: 'Blocked' },
  {
    name: 'waiting stays waiting however long it waits',
    session: { state: 'WAITING', waitReason: 'QUESTION' },
    at: 60 * 24 * 7,
    reason: 'WAITING',
    since: 0,
  },
  {
    name: 'waiting outranks the assistant having spoken last and a dirty tree',
    session: { state: 'WAITING', waitReason: 'PERMISSION', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0, uncommittedFiles: 3 },
    reason: 'WAITING',
  },
  { name: 'an error while idle is a failure', session: { state: 'IDLE', waitReason: 'ERROR', stateAt: min(3) }, at: 4, reason: 'FAILED', since: 3 },
  { name: 'an error while waiting is a failure', session: { state: 'WAITING', waitReason: 'ERROR' }, reason: 'FAILED' },
  {
    name: 'failure outranks awaiting a reply',
    session: { state: 'IDLE', waitReason: 'ERROR', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0 },
    reason: 'FAILED',
  },
  {
    name: 'the assistant spoke last and the agent is idle',
    session: { state: 'IDLE', lastSpeaker: 'ASSISTANT', lastSpeakerAt: min(4) },
    at: 6,
    reason: 'AWAITING_REPLY',
    label: 'Awaiting your reply',
    since: 4,
  },
  { name: 'the user spoke last', session: { state: 'IDLE', lastSpeaker: 'USER', lastSpeakerAt: T0 }, reason: null },
  {
    name: 'the assistant spoke last but the agent is working',
    session: { state: 'WORKING', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0 },
    reason: null,
  },
  {
    name: 'awaiting a reply says what the assistant said',
    session: { state: 'IDLE', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0, lastMessage: 'Tests pass. Shall I open a PR?' },
    reason: 'AWAITING_REPLY',
    detail: 'Tests pass. Shall I open a PR?',
  },
  {
    name: 'a session ended automatically after the assistant spoke is done, with what it said',
    session: { state: 'ENDED', closedBy: 'AUTO', closedAt: min(1), lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0, lastMessage: 'Released 1.2.0.' },
    at: 5,
    reason: 'DONE',
    detail: 'Released 1.2.0.',
    since: 1,
  },
  {
    name: '...and stays in the feed only as long as done does',
    session: { state: 'ENDED', closedBy: 'AUTO', closedAt: min(1), lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0 },
    at: 30,
    reason: null,
  },
  {
    name: 'a session whose agent exited mid-turn is done, and says so',
    session: { state: 'ENDED', closedBy: 'AUTO', closedAt: min(2), lastSpeaker: 'USER', lastSpeakerAt: T0, lastMessage: null, closeDetail: 'Agent exited' },
    at: 3,
    reason: 'DONE',
    detail: 'Agent exited',
  },
  {
    name: 'a turn paused on background tasks needs nobody',
    session: { state: 'IDLE', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0, backgroundTasks: 2, uncommittedFiles: 3, dirtySince: T0 },
    reason: null,
  },
  {
    name: 'a subagent waiting for permission puts the session in the feed',
    session: { state: 'WORKING', agentWaits: agentWaits({ a1: { reason: 'PERMISSION', detail: 'Bash: rm -rf dist', at: 2 } }) },
    at: 3,
    reason: 'WAITING',
    label: 'Waiting for permission',
    detail: 'Bash: rm -rf dist',
    since: 2,
  },
  {
    name: 'the newest of several subagent prompts is shown',
    session: {
      state: 'IDLE',
      agentWaits: agentWaits({ a1: { reason: 'PERMISSION', detail: 'old', at: 2 }, a2: { reason: 'QUESTION', detail: 'new', at: 4 } }),
    },
    at: 5,
    reason: 'WAITING',
    label: 'Has a question',
    detail: 'new',
  },
  {
    name: "the main thread's own wait comes first",
    session: {
      state: 'WAITING',
      waitReason: 'REVIEW',
      waitDetail: 'Plan: migrate to pg',
      agentWaits: agentWaits({ a1: { reason: 'PERMISSION', detail: 'sub', at: 4 } }),
    },
    at: 5,
    reason: 'WAITING',
    detail: 'Plan: migrate to pg',
  },
  {
    name: 'a failure says why',
    session: { state: 'IDLE', waitReason: 'ERROR', waitDetail: 'Rate limited: resets at 3pm' },
    reason: 'FAILED',
    detail: 'Rate limited: resets at 3pm',
  },
  {
    name: 'a failed headless run that ended stays failed',
    session: { state: 'ENDED', waitReason: 'ERROR', waitDetail: 'Server error', closedBy: 'AUTO', closedAt: T0 },
    at: 60,
    reason: 'FAILED',
  },
  {
    name: 'a working session whose agent process Lookout checks is never called stale on time alone',
    session: { state: 'WORKING', lastEventAt: min(5), agentPid: 4242 },
    at: 90,
    reason: null,
  },
  {
    name: 'the assistant spoke last in a session the user closed',
    session: { state: 'ENDED', closedBy: 'USER', closedAt: min(1), lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0 },
    reason: null,
  },
  {
    name: 'idle with uncommitted files',
    session: { state: 'IDLE', stateAt: min(1), uncommittedFiles: 3, dirtySince: min(2) },
    at: 5,
    reason: 'UNCOMMITTED_WORK',
    label: '3 uncommitted files',
    since: 2,
  },
  { name: 'one uncommitted file', session: { uncommittedFiles: 1 }, reason: 'UNCOMMITTED_WORK', label: '1 uncommitted file' },
  { name: 'uncommitted files exactly as the session found them are not its work', session: { uncommittedFiles: 2, worktreeState: 'w1', foundWorktree: 'w1' }, reason: null },
  { name: 'uncommitted files changed since the session found them are', session: { uncommittedFiles: 2, worktreeState: 'w2', foundWorktree: 'w1' }, reason: 'UNCOMMITTED_WORK', label: '2 uncommitted files' },
  { name: 'uncommitted files whose state is unknown may be its work', session: { uncommittedFiles: 2, worktreeState: null, foundWorktree: null }, reason: 'UNCOMMITTED_WORK' },
  {
    name: 'closed by the user with a dirty tree',
    session: { state: 'ENDED', closedBy: 'USER', closedAt: min(3), uncommittedFiles: 2, dirtySince: min(1) },
    at: 60,
    reason: 'UNCOMMITTED_WORK',
    since: 3,
  },
  { name: 'closed by the user with a clean tree', session: { state: 'ENDED', closedBy: 'USER', closedAt: min(0), uncommittedFiles: 0 }, reason: null },
  { name: 'closed by the user, tree unknown', session: { state: 'ENDED', closedBy: 'USER', closedAt: min(0) }, reason: null },
  { name: 'working with uncommitted files is not in the feed', session: { state: 'WORKING', uncommittedFiles: 5 }, reason: null },
  { name: 'a clean tree is not work', session: { state: 'IDLE', uncommittedFiles: 0 }, reason: null },
  {
    name: 'ended automatically a moment ago is done',
    session: { state: 'ENDED', closedBy: 'AUTO', closedAt: min(2) },
    at: 11,
    reason: 'DONE',
    label: 'Done',
    since: 2,
  },
  { name: 'done expires', session: { state: 'ENDED', closedBy: 'AUTO', closedAt: min(2) }, at: 12, reason: null },
  { name: 'abandoned a moment ago is done', session: { state: 'ENDED', closedBy: 'ABANDONED', closedAt: min(0) }, reason: 'DONE' },
  {
    name: 'working without an event for the stale time',
    session: { state: 'WORKING', lastEventAt: min(5) },
    at: 35,
    reason: 'STALE',
    since: 5,
  },
  { name: 'hidden sessions are never in the feed', session: { state: 'WAITING', waitReason: 'QUESTION', hidden: true }, reason: null },
  {
    name: 'seen holds until the next event',
    session: { state: 'WAITING', waitReason: 'QUESTION', lastEventAt: min(1), seenAt: min(2) },
    at: 3,
    reason: null,
  },
  {
    name: 'an event after seen brings it back',
    session: { state: 'WAITING', waitReason: 'QUESTION', lastEventAt: min(3), seenAt: min(2) },
    at: 4,
    reason: 'WAITING',
  },
  {
    name: 'snoozed',
    session: { state: 'WAITING', waitReason: 'QUESTION', snoozedUntil: min(15), snoozedReason: 'WAITING' },
    at: 14,
    reason: null,
  },
  {
    name: 'a snooze ends when its time passes',
    session: { state: 'WAITING', waitReason: 'QUESTION', snoozedUntil: min(15), snoozedReason: 'WAITING' },
    at: 15,
    reason: 'WAITING',
  },
  {
    name: 'a snooze ends when the reason changes',
    session: { state: 'IDLE', lastSpeaker: 'ASSISTANT', lastSpeakerAt: T0, snoozedUntil: min(15), snoozedReason: 'WAITING' },
    at: 5,
    reason: 'AWAITING_REPLY',
  },
];

describe('deriveAttention', () => {
  it.each(table)('$name', (row) => {
    const result = deriveAttention(session(row.session), min(row.at ?? 1), timings);
    expect(result?.reason ?? null).toBe(row.reason);
    if (row.label) expect(result?.label).toBe(row.label);
    if (row.detail !== undefined) expect(result?.detail).toBe(row.detail);
    if (row.since !== undefined) expect(result?.since).toEqual(min(row.since));
    if (result) expect(result.tier).toBe(['DONE', 'STALE'].includes(result.reason) ? 'IN_FOCUS' : 'NEEDS_YOU');
  });
});

describe('feed order', () => {
  const item = (reason: AttentionReason, since: number): Attention => ({
    tier: ['DONE', 'STALE'].includes(reason) ? 'IN_FOCUS' : 'NEEDS_YOU',
    reason,
    label: reason,
    detail: null,
    since: min(since),
    escalatedAt: null,
  });

  it('sorts by tier, reason priority, then most recent first', () => {
    const items = [
      item('STALE', 9),
      item('DONE', 1),
      item('UNCOMMITTED_WORK', 8),
      item('AWAITING_REPLY', 2),
      item('WAITING', 1),
      item('FAILED', 5),
      item('WAITING', 7),
    ];
    expect(items.sort(compareAttention).map((a) => `${a.reason}@${(a.since.getTime() - T0.getTime()) / 60_000}`)).toEqual([
      'WAITING@7',
      'WAITING@1',
      'FAILED@5',
      'AWAITING_REPLY@2',
      'UNCOMMITTED_WORK@8',
      'DONE@1',
      'STALE@9',
    ]);
  });
});

describe('time-driven changes', () => {
  it('names the moment done expires, stale begins or a snooze ends', () => {
    expect(nextAttentionChangeAt(session({ state: 'ENDED', closedBy: 'AUTO', closedAt: min(2) }), min(3), timings)).toEqual(min(12));
    expect(nextAttentionChangeAt(session({ state: 'WORKING', lastEventAt: min(5) }), min(6), timings)).toEqual(min(35));
    expect(
      nextAttentionChangeAt(session({ state: 'WAITING', waitReason: 'QUESTION', snoozedUntil: min(20), snoozedReason: 'WAITING' }), min(6), timings),
    ).toEqual(min(20));
    expect(nextAttentionChangeAt(session({ state: 'WAITING', waitReason: 'QUESTION' }), min(6), timings)).toBeNull();
    expect(nextAttentionChangeAt(session({ state: 'WORKING', hidden: true }), min(6), timings)).toBeNull();
  });

  it('tracks what is in the feed or can enter it without an event, and nothing else', () => {
    expect(isTracked(session({ state: 'WORKING' }), min(1), timings)).toBe(true);
    expect(isTracked(session({ state: 'WAITING', waitReason: 'QUESTION' }), min(1), timings)).toBe(true);
    expect(isTracked(session({ state: 'IDLE', lastSpeaker: 'USER', lastSpeakerAt: T0 }), min(1), timings)).toBe(false);
    expect(isTracked(session({ state: 'ENDED', closedBy: 'AUTO', closedAt: T0 }), min(11), timings)).toBe(false);
    expect(isTracked(session({ state: 'ENDED', closedBy: 'USER', closedAt: T0, uncommittedFiles: 0 }), min(1), timings)).toBe(false);
  });
});

describe('escalation', () => {
  const escalating = { ...timings, escalateAfterMs: 10 * 60_000 };
  const waiting = session({ state: 'WAITING', waitReason: 'PERMISSION', stateAt: min(2), lastEventAt: min(2) });
  // [case, session, asked at minute, escalated at minute (null: not escalated)]
  const cases: [string, SessionFields, number, number | null][] = [
    ['a wait is not escalated before its time', waiting, 11, null],
    ['a wait that drags on is escalated once, at since + the escalation time', waiting, 12, 12],
    ['it stays escalated, at the same moment, however long it waits', waiting, 500, 12],
    ['awaiting a reply escalates too', session({ state: 'IDLE', lastSpeaker: 'ASSISTANT', lastSpeakerAt: min(0) }), 30, 10],
    ['a failure escalates too', session({ state: 'IDLE', waitReason: 'ERROR', stateAt: min(1) }), 30, 11],
    ['what is only worth a look never escalates', session({ state: 'ENDED', closedBy: 'AUTO', closedAt: min(0) }), 9, null],
  ];
  it.each(cases)('%s', (_name, s, at, escalatedAt) => {
    expect(deriveAttention(s, min(at), escalating)?.escalatedAt ?? null).toEqual(escalatedAt === null ? null : min(escalatedAt));
  });

  it('a new reason starts over; the timer is set for the escalation, and none without one', () => {
    const replied = { ...waiting, state: 'IDLE' as const, waitReason: null, lastSpeaker: 'ASSISTANT' as const, lastSpeakerAt: min(20) };
    expect(deriveAttention(replied, min(25), escalating)).toMatchObject({ reason: 'AWAITING_REPLY', escalatedAt: null });
    expect(deriveAttention(replied, min(30), escalating)?.escalatedAt).toEqual(min(30));
    expect(nextAttentionChangeAt(waiting, min(3), escalating)).toEqual(min(12));
    expect(nextAttentionChangeAt(waiting, min(13), escalating)).toBeNull();
    expect(nextAttentionChangeAt(waiting, min(3), timings)).toBeNull();
  });
});

describe('hints and subagents', () => {
  const prompted = () => applySpeaker(null, 's1', 'USER', { agent: 'claude-code' }, T0);
  const working = () => applyActivity(prompted(), { state: 'WORKING' }, min(1));
  const waiting = () => applyActivity(working(), { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: npm publish' }, min(2));
  const failed = () => applyActivity(working(), { state: 'IDLE', waitReason: 'ERROR', waitDetail: 'Rate limited' }, min(2));
  const turnOver = () => applyActivity(applySpeaker(working(), 's1', 'ASSISTANT', {}, min(2), 'Done.'), { state: 'IDLE' }, min(2));
  const subagentAsks = (s: SessionFields, at = 3) =>
    applyActivity(s, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: rm -rf tmp', agentId: 'a1' }, min(at));

  // [case, session before, change at minute 4, reason after, detail after]
  const cases: [string, () => SessionFields, Parameters<typeof applyActivity>[1], AttentionReason | null, string | null][] = [
    ['a generic permission notification never replaces the exact command', waiting, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Claude needs your permission to use Bash', hint: true }, 'WAITING', 'Bash: npm publish'],
    ['a generic permission notification never turns a question into a permission', () => applyActivity(working(), { state: 'WAITING', waitReason: 'QUESTION', waitDetail: 'Which db?' }, min(2)), { state: 'WAITING', waitReason: 'PERMISSION', hint: true }, 'WAITING', 'Which db?'],
    ['a permission notification with no request before it shows the wait', working, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Claude needs your permission to use Bash', hint: true }, 'WAITING', 'Claude needs your permission to use Bash'],
    ['a permission notification never reopens a finished turn', turnOver, { state: 'WAITING', waitReason: 'PERMISSION', hint: true }, 'AWAITING_REPLY', 'Done.'],
    ["a permission notification while a subagent's prompt is open belongs to it", () => subagentAsks(working()), { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'generic', hint: true }, 'WAITING', 'Bash: rm -rf tmp'],
    ['the input prompt sitting idle ends a wait', waiting, { state: 'IDLE', hint: true }, null, null],
    ['the input prompt sitting idle ends a working turn nobody reported', working, { state: 'IDLE', hint: true }, null, null],
    ["the input prompt sitting idle ends subagents' prompts too", () => subagentAsks(turnOver()), { state: 'IDLE', hint: true }, 'AWAITING_REPLY', 'Done.'],
    ['the input prompt sitting idle never clears a failure', failed, { state: 'IDLE', hint: true }, 'FAILED', 'Rate limited'],
    ['a question answered ends the wait', () => applyActivity(working(), { state: 'WAITING', waitReason: 'QUESTION' }, min(2)), { state: 'WORKING', hint: true }, null, null],
    ['a question answered does not touch a finished turn', turnOver, { state: 'WORKING', hint: true }, 'AWAITING_REPLY', 'Done.'],
    ["a subagent's tool call never takes away the main thread's wait", waiting, { state: 'WORKING', agentId: 'a1' }, 'WAITING', 'Bash: npm publish'],
    ["a subagent's tool call never makes a finished turn look busy", turnOver, { state: 'WORKING', agentId: 'a1' }, 'AWAITING_REPLY', 'Done.'],
    ["a subagent's prompt shows while the main thread works", working, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: rm -rf tmp', agentId: 'a1' }, 'WAITING', 'Bash: rm -rf tmp'],
    ["the subagent's next tool call ends its own prompt", () => subagentAsks(working()), { state: 'WORKING', agentId: 'a1' }, null, null],
    ["another subagent's tool call leaves that prompt open", () => subagentAsks(working()), { state: 'WORKING', agentId: 'a2' }, 'WAITING', 'Bash: rm -rf tmp'],
    ["the main thread's tool call leaves a subagent's prompt open", () => subagentAsks(working()), { state: 'WORKING' }, 'WAITING', 'Bash: rm -rf tmp'],
    ["a subagent's older tool call, arriving late, leaves its newer prompt open", () => subagentAsks(working(), 5), { state: 'WORKING', agentId: 'a1' }, 'WAITING', 'Bash: rm -rf tmp'],
  ];
  it.each(cases)('%s', (_name, before, change, reason, detail) => {
    const after = applyActivity(before(), change, min(4));
    const result = deriveAttention(after, min(4), timings);
    expect(result?.reason ?? null).toBe(reason);
    expect(result?.detail ?? null).toBe(detail);
  });

  it("a subagent's activity is a sign of life for the session", () => {
    expect(applyActivity(working(), { state: 'WORKING', agentId: 'a1' }, min(20)).lastEventAt).toEqual(min(20));
  });
});

describe('prompts open at once', () => {
  const call = (command: string) => ({ tool: 'Bash', input: { command: `digest-${command}`, description: 'digest-d' } });
  const ask = (command: string) => ({
    id: `s1:${command}`,
    agentId: null,
    tool: 'Bash',
    kind: 'PERMISSION' as const,
    input: command,
    suggestions: [],
    toolCall: call(command),
    wait: { reason: 'PERMISSION' as const, detail: `Bash: ${command}` },
  });
  const asked = (s: SessionFields, command: string, at: number) =>
    applyActivity(s, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: `Bash: ${command}`, permission: ask(command) }, min(at), 60_000);
  const moved = (s: SessionFields, command: string | null, at: number) => applyActivity(s, { state: 'WORKING', toolCall: command ? call(command) : null }, min(at));
  const both = () => asked(asked(session({ state: 'WORKING' }), 'npm publish', 1), 'git tag v1', 2);
  const shown = (s: SessionFields) => [s.state, s.waitDetail];

  it.each([
    ['the first call finishing leaves the second waiting', (s: SessionFields) => moved(s, 'npm publish', 3), ['WAITING', 'Bash: git tag v1']],
    ['the second finishing leaves the first waiting', (s: SessionFields) => moved(s, 'git tag v1', 3), ['WAITING', 'Bash: npm publish']],
    ['another call running meanwhile answers neither', (s: SessionFields) => moved(s, 'ls', 3), ['WAITING', 'Bash: git tag v1']],
    ['both finishing: at work', (s: SessionFields) => moved(moved(s, 'git tag v1', 3), 'npm publish', 4), ['WORKING', null]],
    ['an event about no call (the user typed) ends them all', (s: SessionFields) => moved(s, null, 3), ['WORKING', null]],
    ['closed, then resumed: nothing of before is open', (s: SessionFields) => moved(applyClose(s, 'AUTO', min(3)), 'ls', 4), ['WORKING', null]],
  ])('%s', (_name, then, expected) => {
    expect(shown(then(both()))).toEqual(expected);
  });
});

describe('late, repeated and out-of-order events', () => {
  const start = () => applySpeaker(null, 's1', 'USER', { agent: 'claude-code', title: 'Fix it' }, T0);

  it('an older activity never moves the state backwards', () => {
    const waiting = applyActivity(start(), { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: rm -rf build' }, min(5));
    const late = applyActivity(waiting, { state: 'WORKING' }, min(3));
    expect(late.state).toBe('WAITING');
    expect(deriveAttention(late, min(6), timings)?.reason).toBe('WAITING');
    expect(late.waitDetail).toBe('Bash: rm -rf build');
  });

  it('an older speaker never replaces a newer one, but still counts as a sign of life', () => {
    const assistant = applySpeaker(start(), 's1', 'ASSISTANT', {}, min(5));
    const late = applySpeaker(assistant, 's1', 'USER', {}, min(4));
    expect(late.lastSpeaker).toBe('ASSISTANT');
    expect(late.lastSpeakerAt).toEqual(min(5));
    expect(late.lastEventAt).toEqual(min(5));
  });

  it('the same event twice leaves the session as once', () => {
    const once = applyActivity(start(), { state: 'WAITING', waitReason: 'QUESTION' }, min(2));
    expect(applyActivity(once, { state: 'WAITING', waitReason: 'QUESTION' }, min(2))).toEqual(once);
  });

  it('a repeated wait keeps when the wait began', () => {
    const first = applyActivity(start(), { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: ls' }, min(2));
    const second = applyActivity(first, { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: pwd' }, min(4));
    expect(deriveAttention(second, min(5), timings)).toMatchObject({ reason: 'WAITING', since: min(2) });
    expect(second.waitDetail).toBe('Bash: pwd');
  });

  it('working clears the wait', () => {
    const waiting = applyActivity(start(), { state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'x' }, min(2));
    const working = applyActivity(waiting, { state: 'WORKING' }, min(3));
    expect([working.waitReason, working.waitDetail]).toEqual([null, null]);
  });

  it('activity after a close resumes the session; activity before it does not reopen it', () => {
    const closed = applyClose(start(), 'AUTO', min(5));
    expect(applyActivity(closed, { state: 'WORKING' }, min(4)).closedAt).toEqual(min(5));
    const resumed = applyActivity(closed, { state: 'WORKING' }, min(6));
    expect([resumed.state, resumed.closedAt, resumed.closedBy]).toEqual(['WORKING', null, null]);
  });

  it('the first close stands', () => {
    const closed = applyClose(start(), 'USER', min(5));
    const again = applyClose(closed, 'AUTO', min(6));
    expect([again.closedBy, again.closedAt, again.stateAt]).toEqual(['USER', min(5), min(5)]);
  });

  it('an older work-tree report is ignored; dirty-since survives a count change', () => {
    const dirty = applyWorktree(start(), { uncommittedFiles: 2, branch: 'main' }, min(2));
    const more = applyWorktree(dirty, { uncommittedFiles: 4 }, min(3));
    expect([more.uncommittedFiles, more.dirtySince, more.branch]).toEqual([4, min(2), 'main']);
    expect(applyWorktree(more, { uncommittedFiles: 0 }, min(1)).uncommittedFiles).toBe(4);
    expect(applyWorktree(more, { uncommittedFiles: 0 }, min(4)).dirtySince).toBeNull();
  });

  it('a report from the future counts as now, so since is never ahead of now', () => {
    expect(eventTime(min(10), min(2))).toEqual(min(2));
    expect(eventTime(min(1), min(2))).toEqual(min(1));
    expect(eventTime(undefined, min(2))).toEqual(min(2));
  });
});
