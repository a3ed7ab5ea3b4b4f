// Attention analytics against the real server, on SQLite and on PostgreSQL: figures checked against
// a log computed by hand (waits over midnight, answered in the terminal, in the previous week),
// prompts answered from Lookout and the rules they suggest, the waits behind a figure, and who may
// see whose figures.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../api/db/database.ts';
import { askPermission, freshDatabase, sql, startServer, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const ADMIN = 'owner-secret';
// No escalation, nothing stale: the hand-computed figures do not move with the clock.
const QUIET = { LOOKOUT_TOKEN: ADMIN, LOOKOUT_ESCALATE_MINUTES: '100000', LOOKOUT_STALE_MINUTES: '100000' };

async function gqlAs(token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}
const gql = (query: string, variables: Record<string, unknown> = {}) => gqlAs(ADMIN, query, variables);

const ACTIVITY = `mutation($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }`;
const SPEAKER = `mutation($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`;
const speaker = (sessionId: string, at: string, who: 'USER' | 'ASSISTANT', token = ADMIN) => gqlAs(token, SPEAKER, { input: { sessionId, at, speaker: who, project: 'shop' } });
/** An agent's activity; a session it has not reported yet is first announced (the person spoke a minute before). */
async function activity(sessionId: string, at: string, state: string, waitReason?: string, waitDetail?: string, token = ADMIN) {
  if (state === 'WAITING') await speaker(sessionId, new Date(new Date(at).getTime() - 60_000).toISOString(), 'USER', token);
  const { data } = await gqlAs(token, ACTIVITY, { input: { sessionId, at, state, waitReason, waitDetail } });
  expect(data.recordActivity.__typename).toBe('MutationRecordActivitySuccess');
}

const FIGURES = `fragment F on WaitFigures { waits waitedSeconds medianSeconds p90Seconds medianToSeenSeconds medianToAnswerSeconds escalations }`;
const INSIGHTS = `${FIGURES}
query($from: DateTime!, $to: DateTime!, $tz: String, $scope: FeedScope) {
  insights(from: $from, to: $to, timeZone: $tz, scope: $scope) {
    __typename
    ... on InsightsRangeError { message }
    ... on QueryInsightsSuccess { data {
      totals { ...F } previous { ...F }
      byKind { key figures { waits waitedSeconds } }
      byProject { key figures { waits } }
      days { day waits waitedSeconds }
      endings { endedBy count }
      blockers { tool rule waits allowed denied }
      suggestedRules { rule tool allowed settings }
    } }
  }
}`;

// The week of Monday 30 November 2026 in Paris (UTC+1): 29 Nov 23:00Z to 6 Dec 23:00Z.
const WEEK = { from: '2026-11-29T23:00:00.000Z', to: '2026-12-06T23:00:00.000Z', tz: 'Europe/Paris' };

/** The log, by hand: four waits this week, one the week before. */
async function recordTheWeek() {
  // A reply awaited from 23:50 to 00:20 Paris time: 1800 s, 600 of them on 2 December, 1200 on the 3rd.
  await speaker('reply', '2026-12-02T22:50:00Z', 'ASSISTANT');
  await speaker('reply', '2026-12-02T23:20:00Z', 'USER');
  // A question answered in the terminal after 600 s, and a permission prompt after 120 s, on 1 December.
  await activity('question', '2026-12-01T09:00:00Z', 'WAITING', 'QUESTION', 'Which license?');
  await activity('question', '2026-12-01T09:10:00Z', 'WORKING');
  await activity('perm', '2026-12-01T10:00:00Z', 'WAITING', 'PERMISSION', 'Bash: make deploy');
  await activity('perm', '2026-12-01T10:02:00Z', 'WORKING');
  // A failure looked into after 1800 s on 4 December.
  await activity('fail', '2026-12-04T08:00:00Z', 'WAITING', 'ERROR', 'exit 2');
  await activity('fail', '2026-12-04T08:30:00Z', 'WORKING');
  // Last week: a question of 300 s.
  await activity('old', '2026-11-25T10:00:00Z', 'WAITING', 'QUESTION', 'Which port?');
  await activity('old', '2026-11-25T10:05:00Z', 'WORKING');
}

describe('attention analytics', () => {
  it('are exact for a log computed by hand: totals, percentiles, kinds, days in a time zone, last week', async () => {
    server = await startServer(QUIET);
    await recordTheWeek();
    const { data, errors } = await gql(INSIGHTS, WEEK);
    expect(errors).toBeUndefined();
    const insights = data.insights.data;
    const none = { medianToSeenSeconds: null, escalations: 0 };
    // Waits of 120, 600, 1800 and 1800 s: nearest-rank median is the 2nd, p90 the 4th.
    expect(insights.totals).toEqual({ waits: 4, waitedSeconds: 4320, medianSeconds: 600, p90Seconds: 1800, medianToAnswerSeconds: 600, ...none });
    expect(insights.previous).toEqual({ waits: 1, waitedSeconds: 300, medianSeconds: 300, p90Seconds: 300, medianToAnswerSeconds: 300, ...none });
    expect(Object.fromEntries(insights.byKind.map((g: any) => [g.key, g.figures]))).toEqual({
      REPLY: { waits: 1, waitedSeconds: 1800 },
      FAILED: { waits: 1, waitedSeconds: 1800 },
      QUESTION: { waits: 1, waitedSeconds: 600 },
      PERMISSION: { waits: 1, waitedSeconds: 120 },
    });
    expect(insights.days).toEqual([
      { day: '2026-11-30', waits: 0, waitedSeconds: 0 },
      { day: '2026-12-01', waits: 2, waitedSeconds: 720 },
      { day: '2026-12-02', waits: 1, waitedSeconds: 600 },
      { day: '2026-12-03', waits: 0, waitedSeconds: 1200 },
      { day: '2026-12-04', waits: 1, waitedSeconds: 1800 },
      { day: '2026-12-05', waits: 0, waitedSeconds: 0 },
      { day: '2026-12-06', waits: 0, waitedSeconds: 0 },
    ]);
    expect(insights.endings).toEqual([{ endedBy: 'TERMINAL', count: 4 }]);
    // In UTC the reply's day is the 2nd alone, and the week starts a day later.
    const utc = await gql(INSIGHTS, { from: '2026-11-30T00:00:00Z', to: '2026-12-07T00:00:00Z', tz: 'UTC' });
    expect(utc.data.insights.data.days.find((d: any) => d.day === '2026-12-02')).toEqual({ day: '2026-12-02', waits: 1, waitedSeconds: 1800 });

    // The waits behind a number: the reply's day, with the session it was.
    const { data: drill } = await gql(`query($from: DateTime!, $to: DateTime!, $tz: String) {
      insights(from: $from, to: $to, timeZone: $tz) { ... on QueryInsightsSuccess { data {
        onDay: waits(day: "2026-12-02") { sessionId kind startedAt endedAt waitedSeconds endedBy }
        failed: waits(kind: FAILED) { sessionId waitedSeconds }
      } } }
    }`, WEEK);
    expect(drill.insights.data.onDay).toEqual([
      { sessionId: 'reply', kind: 'REPLY', startedAt: '2026-12-02T22:50:00.000Z', endedAt: '2026-12-02T23:20:00.000Z', waitedSeconds: 1800, endedBy: 'TERMINAL' },
    ]);
    expect(drill.insights.data.failed).toEqual([{ sessionId: 'fail', waitedSeconds: 1800 }]);
  });

  it('count prompts answered from Lookout, where, and suggest the rule for what is always allowed', async () => {
    server = await startServer(QUIET);
    const answer = async (sessionId: string, decision: string) => {
      const result = await gql(`mutation($input: AnswerPermissionInput!) { answerPermission(input: $input) { __typename } }`, {
        input: { requestId: `${sessionId}:ask-${sessionId}`, decision, via: 'FEED' },
      });
      expect(result.data.answerPermission.__typename).toBe('MutationAnswerPermissionSuccess');
    };
    for (const id of ['t1', 't2', 't3']) {
      await askPermission(server, id, 'npm test');
      if (id === 't1') await gql(`mutation { markSeen(sessionId: "t1") { __typename } }`);
      await answer(id, 'ALLOW_ONCE');
    }
    await askPermission(server, 'd1', 'rm -rf build');
    await answer('d1', 'DENY');
    const now = Date.now();
    const { data } = await gql(INSIGHTS, { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString() });
    const insights = data.insights.data;
    expect(insights.totals.waits).toBe(4);
    expect(insights.totals.medianToSeenSeconds).not.toBeNull();
    expect(insights.endings).toEqual([{ endedBy: 'FEED', count: 4 }]);
    expect(insights.blockers).toEqual([
      { tool: 'Bash', rule: 'Bash(npm test)', waits: 3, allowed: 3, denied: 0 },
      { tool: 'Bash', rule: 'Bash(rm -rf build)', waits: 1, allowed: 0, denied: 1 },
    ]);
    expect(insights.suggestedRules).toEqual([
      { rule: 'Bash(npm test)', tool: 'Bash', allowed: 3, settings: JSON.stringify({ permissions: { allow: ['Bash(npm test)'] } }, null, 2) },
    ]);
    // Prometheus: each ended wait in the histogram, by kind.
    const metrics = await (await fetch(server.url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toMatch(/lookout_wait_seconds_count\{kind="PERMISSION"\} 4/);
  });

  it("count a subagent's prompt as the hook reports it (answered in the terminal: its tool then ran), one denied in the terminal, and an escalated question", async () => {
    server = await startServer({ ...QUIET, LOOKOUT_ESCALATE_MINUTES: '1' });
    // Claude Code's http hook: a subagent asks to run a command, then the command runs (allowed in the terminal).
    const hook = (payload: Record<string, unknown>) =>
      fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ session_id: 'cc1', cwd: '/work/shop', ...payload }),
      });
    const call = { tool_name: 'Bash', tool_input: { command: 'npm run lint' }, agent_id: 'sub-1', agent_type: 'reviewer' };
    expect((await hook({ hook_event_name: 'UserPromptSubmit', prompt: 'Review the diff' })).status).toBe(204);
    expect((await hook({ hook_event_name: 'PermissionRequest', ...call })).status).toBe(204);
    expect((await hook({ hook_event_name: 'PostToolUse', ...call, tool_response: 'ok' })).status).toBe(204);
    // The main thread asks to force-push; the person denies it in the terminal.
    const push = { tool_name: 'Bash', tool_input: { command: 'git push --force' } };
    expect((await hook({ hook_event_name: 'PermissionRequest', ...push })).status).toBe(204);
    expect((await hook({ hook_event_name: 'PermissionDenied', ...push, reason: 'denied by the user' })).status).toBe(204);
    // A question asked ten minutes ago and answered a minute ago: escalated after one.
    const base = Date.now();
    const ago = (minutes: number) => new Date(base - minutes * 60_000).toISOString();
    await activity('q-esc', ago(10), 'WAITING', 'QUESTION', 'Ship it?');
    await activity('q-esc', ago(1), 'WORKING');

    const range = { from: ago(60), to: ago(-1) };
    const { data } = await gql(`query($from: DateTime!, $to: DateTime!) { insights(from: $from, to: $to) { ... on QueryInsightsSuccess { data {
      totals { waits escalations }
      waits { sessionId kind subagent endedBy decision rule escalated waitedSeconds }
    } } } }`, range);
    const { totals, waits } = data.insights.data;
    expect(totals).toEqual({ waits: 3, escalations: 1 });
    expect(waits).toEqual([
      { sessionId: 'cc1', kind: 'PERMISSION', subagent: false, endedBy: 'TERMINAL', decision: 'DENY', rule: 'Bash(git push --force)', escalated: false, waitedSeconds: expect.any(Number) },
      { sessionId: 'cc1', kind: 'PERMISSION', subagent: true, endedBy: 'TERMINAL', decision: 'ALLOW', rule: 'Bash(npm run lint)', escalated: false, waitedSeconds: expect.any(Number) },
      { sessionId: 'q-esc', kind: 'QUESTION', subagent: false, endedBy: 'TERMINAL', decision: null, rule: null, escalated: true, waitedSeconds: 540 },
    ]);
  });

  it("keep waits as long as the log: one that ended before the retention is dropped, one still open is not", async () => {
    server = await startServer({ ...QUIET, LOOKOUT_RETENTION_DAYS: '1' });
    const base = Date.now();
    const ago = (hours: number) => new Date(base - hours * 3_600_000).toISOString();
    await activity('long-ago', ago(72), 'WAITING', 'QUESTION');
    await activity('long-ago', ago(71), 'WORKING');
    await activity('still-open', ago(48), 'WAITING', 'PERMISSION', 'Bash: make release');
    await activity('yesterday', ago(20), 'WAITING', 'QUESTION');
    await activity('yesterday', ago(19), 'WORKING');
    const { data } = await gql(`query($from: DateTime!, $to: DateTime!) { insights(from: $from, to: $to) { ... on QueryInsightsSuccess { data { waits { sessionId } } } } }`, {
      from: ago(24 * 7),
      to: ago(-1),
    });
    expect(data.insights.data.waits.map((w: { sessionId: string }) => w.sessionId)).toEqual(['yesterday', 'still-open']);
  });

  it("show a person their own waits, an admin the team's, and refuse a bad range with a typed error", async () => {
    server = await startServer(QUIET);
    await recordTheWeek();
    const { data: created } = await gql(`mutation { createToken(name: "bob", scope: REPORT, person: "bob") { ... on MutationCreateTokenSuccess { data { token } } } }`);
    const { data: read } = await gql(`mutation { createToken(name: "bob-read", scope: READ, person: "bob") { ... on MutationCreateTokenSuccess { data { token } } } }`);
    const bobReports = created.createToken.data.token;
    const bobReads = read.createToken.data.token;
    await activity('bob-1', '2026-12-03T12:00:00Z', 'WAITING', 'QUESTION', undefined, bobReports);
    await activity('bob-1', '2026-12-03T12:01:40Z', 'WORKING', undefined, undefined, bobReports);

    const totals = async (token: string, scope?: string) => (await gqlAs(token, INSIGHTS, { ...WEEK, scope })).data?.insights.data?.totals;
    expect(await totals(bobReads)).toMatchObject({ waits: 1, waitedSeconds: 100 });
    expect(await totals(ADMIN)).toMatchObject({ waits: 4, waitedSeconds: 4320 });
    expect(await totals(ADMIN, 'TEAM')).toMatchObject({ waits: 5, waitedSeconds: 4420 });
    const refused = await gqlAs(bobReads, INSIGHTS, { ...WEEK, scope: 'TEAM' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A report token reads nothing.
    expect((await gqlAs(bobReports, INSIGHTS, WEEK)).errors?.[0]?.message).toMatch(/read scope/);

    for (const [variables, message] of [
      [{ ...WEEK, tz: 'Mars/Olympus' }, /Unknown time zone/],
      [{ from: WEEK.to, to: WEEK.from }, /range is empty/],
      [{ from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }, /longer than 92 days/],
    ] as const) {
      const { data } = await gql(INSIGHTS, variables);
      expect(data.insights).toEqual({ __typename: 'InsightsRangeError', message: expect.stringMatching(message) });
    }
  });
});

describe('the waits kept', () => {
  it('are stored once when two processes read the same entries at once: the second finds the first stored them', async () => {
    const database = await freshDatabase();
    const opened = await openDatabase(database);
    try {
      const wait = {
        sessionId: 's',
        owner: 'you',
        project: null,
        agent: 'claude-code',
        kind: 'QUESTION' as const,
        subagent: false,
        startedAt: new Date('2026-12-01T09:00:00Z'),
        seenAt: null,
        answeredAt: null,
        endedAt: null,
        endedBy: null,
        decision: null,
        escalated: false,
        tool: null,
        rule: null,
        startSeq: 1,
        endSeq: null,
      };
      // From the start (no cursor yet), then from where the first left it.
      for (const [from, to] of [[0, 5], [5, 9]] as const) {
        const stored = await Promise.all([opened.insights.saveWaits(from, to, [wait], []), opened.insights.saveWaits(from, to, [wait], [])]);
        expect(stored.sort()).toEqual([false, true]);
        expect(await opened.insights.indexedThrough()).toBe(to);
      }
      const rows = await sql<{ n: string }>(database, 'SELECT COUNT(*) AS n FROM "AttentionWait"');
      expect(Number(rows[0]!.n)).toBe(2);
    } finally {
      await opened.close();
    }
  });
});
