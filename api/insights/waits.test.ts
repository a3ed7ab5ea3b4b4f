import { describe, expect, it } from 'vitest';
import type { Attention } from '../attention/rules.ts';
import { allowRuleOf, type LoggedEntry, stepWaits, type Wait, waitKindOf } from './waits.ts';

const T = (hhmm: string, day = '2026-12-07') => new Date(`${day}T${hhmm}:00.000Z`);
const need = (label: string, since: Date, extra: Partial<Attention> = {}): Attention => ({
  tier: 'NEEDS_YOU',
  reason: label === 'Awaiting your reply' ? 'AWAITING_REPLY' : label === 'Failed' ? 'FAILED' : 'WAITING',
  label,
  detail: null,
  since,
  escalatedAt: null,
  ...extra,
});

let seq = 0;
const entry = (kind: LoggedEntry['kind'], at: Date, attention: Attention | null, input: Record<string, unknown> = {}): LoggedEntry => ({
  seq: ++seq,
  sessionId: 's1',
  kind,
  at,
  input,
  attention,
  project: 'shop',
  owner: 'alice',
  agent: 'claude-code',
});

/** Every wait a log gives, in the order they began. */
function waitsOf(entries: LoggedEntry[]): Wait[] {
  const all: Wait[] = [];
  let open: Wait | null = null;
  for (const e of entries) {
    const step = stepWaits(open, e);
    if (step.ended) all[all.findIndex((w) => w.startSeq === step.ended!.startSeq)] = step.ended;
    if (step.updated) {
      all[all.findIndex((w) => w.startSeq === step.updated!.startSeq)] = step.updated;
      open = step.updated;
    }
    if (step.ended) open = null;
    if (step.began) all.push((open = step.began));
  }
  return all;
}

const bashPrompt = (command: string, agentId: string | null = null) => ({
  state: 'WAITING',
  waitReason: 'PERMISSION',
  ...(agentId ? { agentId } : {}),
  permission: { id: 'r1', tool: 'Bash', kind: 'PERMISSION', input: command, agentId },
});

describe('waits read from the log', () => {
  it.each([
    {
      name: 'a permission prompt seen, then allowed from the page: the hook takes the answer later',
      log: () => {
        const p = need('Waiting for permission', T('10:00'));
        return [
          entry('ACTIVITY', T('10:00'), p, bashPrompt('npm test')),
          // Looked at: off the feed until the next event, and still waiting.
          entry('SEEN', T('10:02'), null),
          entry('ANSWER', T('10:05'), null, { requestId: 'r1', decision: 'ALLOW_ONCE', by: 'FEED' }),
          entry('DELIVER', T('10:05'), null, { requestId: 'r1' }),
        ];
      },
      waits: [{ kind: 'PERMISSION', startedAt: T('10:00'), seenAt: T('10:02'), answeredAt: T('10:05'), endedAt: T('10:05'), endedBy: 'FEED', decision: 'ALLOW', tool: 'Bash', rule: 'Bash(npm test)' }],
    },
    {
      name: 'a permission prompt answered in the terminal: its tool call ran',
      log: () => [
        entry('ACTIVITY', T('10:00'), need('Waiting for permission', T('10:00')), bashPrompt('make deploy')),
        entry('ACTIVITY', T('10:07'), null, { state: 'WORKING', toolCall: { tool: 'Bash', input: {} }, toolOutcome: 'RAN' }),
      ],
      waits: [{ kind: 'PERMISSION', endedAt: T('10:07'), answeredAt: T('10:07'), endedBy: 'TERMINAL', decision: 'ALLOW', seenAt: null, rule: 'Bash(make deploy)' }],
    },
    {
      name: 'a permission prompt denied in the terminal; another whose agent simply went on (not known)',
      log: () => [
        entry('ACTIVITY', T('10:00'), need('Waiting for permission', T('10:00')), bashPrompt('rm -rf /')),
        entry('ACTIVITY', T('10:01'), null, { state: 'WORKING', toolCall: { tool: 'Bash', input: {} }, toolOutcome: 'DENIED' }),
        entry('ACTIVITY', T('10:02'), need('Waiting for permission', T('10:02')), bashPrompt('ls')),
        entry('ACTIVITY', T('10:03'), null, { state: 'WORKING' }),
      ],
      waits: [
        { kind: 'PERMISSION', endedBy: 'TERMINAL', decision: 'DENY' },
        { kind: 'PERMISSION', endedBy: 'TERMINAL', decision: null },
      ],
    },
    {
      name: 'an answer given, then the prompt still open: answered, not ended until the agent moves on',
      log: () => {
        const p = need('Waiting for permission', T('10:00'));
        return [entry('ACTIVITY', T('10:00'), p, bashPrompt('rm -rf build')), entry('ANSWER', T('10:01'), p, { decision: 'DENY', by: 'SLACK' })];
      },
      waits: [{ kind: 'PERMISSION', answeredAt: T('10:01'), endedAt: null, endedBy: 'SLACK', decision: 'DENY' }],
    },
    {
      name: 'a reply awaited over midnight, then the person replied in the terminal',
      log: () => [
        entry('SPEAKER', T('23:50', '2026-12-06'), need('Awaiting your reply', T('23:50', '2026-12-06'))),
        entry('SPEAKER', T('00:20'), null, { speaker: 'USER' }),
      ],
      waits: [{ kind: 'REPLY', startedAt: T('23:50', '2026-12-06'), endedAt: T('00:20'), endedBy: 'TERMINAL', decision: null }],
    },
    {
      name: 'a question escalated, then given up by its hook',
      log: () => {
        const q = need('Has a question', T('09:00'));
        return [
          entry('ACTIVITY', T('09:00'), q),
          entry('TIMER', T('09:30'), { ...q, detail: 'Which license?', escalatedAt: T('09:30') }),
          entry('EXPIRE', T('09:40'), null, { requestId: 'r9' }),
        ];
      },
      waits: [{ kind: 'QUESTION', escalated: true, endedAt: T('09:40'), endedBy: 'EXPIRED', answeredAt: null }],
    },
    {
      name: "a subagent's prompt, then a plan: two waits, the second from its own moment",
      log: () => [
        entry('ACTIVITY', T('11:00'), need('Waiting for permission', T('11:00')), bashPrompt('ls', 'agent-7')),
        entry('ACTIVITY', T('11:03'), need('Waiting for review', T('11:03')), { state: 'WAITING', waitReason: 'REVIEW' }),
        entry('CLOSE', T('11:10'), null, { closedBy: 'USER' }),
      ],
      waits: [
        { kind: 'PERMISSION', subagent: true, endedAt: T('11:03'), endedBy: 'TERMINAL', decision: null },
        { kind: 'PLAN', subagent: false, startedAt: T('11:03'), endedAt: T('11:10'), endedBy: 'CLOSED' },
      ],
    },
    {
      name: 'the detail changing is the same wait; snoozed, it goes on (looked at); hidden, it ends',
      log: () => {
        const f = need('Failed', T('12:00'));
        return [
          entry('ACTIVITY', T('12:00'), f),
          entry('ACTIVITY', T('12:01'), { ...f, detail: 'exit 2' }),
          entry('SNOOZE', T('12:03'), null),
          entry('HIDE', T('12:05'), null),
        ];
      },
      waits: [{ kind: 'FAILED', startedAt: T('12:00'), seenAt: T('12:03'), endedAt: T('12:05'), endedBy: 'DISMISSED' }],
    },
  ])('$name', ({ log, waits }) => {
    const got = waitsOf(log());
    expect(got).toHaveLength(waits.length);
    got.forEach((wait, i) => expect(wait).toMatchObject(waits[i]!));
  });

  it('counts only what needs the person', () => {
    expect(waitKindOf(null)).toBeNull();
    expect(waitKindOf({ ...need('Done', T('10:00')), tier: 'IN_FOCUS', reason: 'DONE' })).toBeNull();
    expect(waitKindOf({ ...need('3 files', T('10:00')), reason: 'UNCOMMITTED_WORK' })).toBe('UNCOMMITTED');
    expect(waitKindOf(need('Blocked', T('10:00')))).toBe('BLOCKED');
  });
});

describe('the permissions.allow entry a prompt suggests', () => {
  it.each([
    ['Bash', 'npm test', 'Bash(npm test)'],
    ['Bash', 'git push\ngit tag', null],
    ['Bash', 'echo $(date)', null],
    ['Edit', '/home/dev/shop/src/a.ts\n- old\n+ new', 'Edit(//home/dev/shop/src/a.ts)'],
    ['Write', '/home/dev/shop/README.md (12 lines)', 'Edit(//home/dev/shop/README.md)'],
    ['Write', 'relative.md (1 lines)', null],
    ['WebFetch', 'https://docs.example.com/a?b=1', 'WebFetch(domain:docs.example.com)'],
    ['mcp__github__create_issue', '{}', 'mcp__github__create_issue'],
    ['WebSearch', 'vitest', 'WebSearch'],
  ])('%s %j → %s', (tool, input, rule) => {
    expect(allowRuleOf(tool, input)).toBe(rule);
  });
});
