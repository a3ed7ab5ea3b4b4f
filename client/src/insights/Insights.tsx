// How long your agents waited on you this week, against last week, and why: the waits per day (a
// table, with a bar in each row), by kind and project, where you answered, the prompts that block
// most, and the ones you always allow (a permissions rule would answer them for you). Every count
// in a table opens the waits behind it.
import { useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { InsightsQuery, WaitKind } from '../gql/graphql.ts';

const InsightsDocument = graphql(`
  query Insights($from: DateTime!, $to: DateTime!, $timeZone: String, $scope: FeedScope) {
    insights(from: $from, to: $to, timeZone: $timeZone, scope: $scope) {
      __typename
      ... on Error { message }
      ... on QueryInsightsSuccess {
        data {
          totals { waits waitedSeconds medianSeconds p90Seconds medianToSeenSeconds medianToAnswerSeconds escalations }
          previous { waits waitedSeconds medianSeconds p90Seconds medianToSeenSeconds medianToAnswerSeconds escalations }
          days { day waits waitedSeconds }
          byKind { key figures { waits waitedSeconds medianSeconds } }
          byProject { key figures { waits waitedSeconds medianSeconds } }
          endings { endedBy count }
          blockers { tool rule waits allowed denied waitedSeconds }
          suggestedRules { rule allowed waitedSeconds settings }
        }
      }
    }
  }
`);

const InsightWaitsDocument = graphql(`
  query InsightWaits($from: DateTime!, $to: DateTime!, $timeZone: String, $scope: FeedScope, $kind: WaitKind, $project: String, $day: String, $rule: String) {
    insights(from: $from, to: $to, timeZone: $timeZone, scope: $scope) {
      __typename
      ... on QueryInsightsSuccess {
        data {
          waits(kind: $kind, project: $project, day: $day, rule: $rule, first: 50) { id sessionId title owner kind startedAt waitedSeconds endedBy decision }
        }
      }
    }
  }
`);

type Data = Extract<NonNullable<InsightsQuery['insights']>, { __typename: 'QueryInsightsSuccess' }>['data'];
type Figures = Data['totals'];

const KIND_NAMES: Record<WaitKind, string> = {
  PERMISSION: 'Permission prompts',
  QUESTION: 'Questions',
  PLAN: 'Plans to approve',
  BLOCKED: 'Blocked',
  REPLY: 'Replies awaited',
  FAILED: 'Failures',
  UNCOMMITTED: 'Uncommitted work',
};

const ENDING_NAMES: Record<string, string> = {
  TERMINAL: 'in the terminal',
  FEED: 'on this page',
  CLI: 'with the CLI',
  API: 'through the API',
  LINK: 'from an answer link',
  NTFY: 'from ntfy',
  SLACK: 'from Slack',
  TELEGRAM: 'from Telegram',
  EXPIRED: 'given up by the hook',
  CLOSED: 'session ended',
  DISMISSED: 'hidden',
  LAPSED: 'went quiet',
};

/** "1 h 05 min", "12 min", "40 s", or "–" for none. */
function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Monday 00:00, local time, of the week `offset` weeks from this one; and the Monday after. */
function weekOf(now: Date, offset: number): { from: Date; to: Date } {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7) + 7 * offset);
  return { from, to: new Date(from.getFullYear(), from.getMonth(), from.getDate() + 7) };
}

const change = (now: number, before: number) => {
  if (before === 0) return now === 0 ? 'as last week' : 'none last week';
  const percent = Math.round(((now - before) / before) * 100);
  return percent === 0 ? 'as last week' : `${percent > 0 ? '+' : ''}${percent}% on last week`;
};

interface Drill {
  label: string;
  kind?: WaitKind;
  project?: string;
  day?: string;
  rule?: string;
}

export function Insights() {
  const [open, setOpen] = useState(false);
  const [offset, setOffset] = useState(0);
  const [team, setTeam] = useState(false);
  const [drill, setDrill] = useState<Drill | null>(null);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const { from, to } = weekOf(new Date(), offset);
  const variables = { from: from.toISOString(), to: to.toISOString(), timeZone, scope: team ? ('TEAM' as const) : ('MINE' as const) };
  const [{ data, error, fetching }] = useQuery({ query: InsightsDocument, variables, pause: !open, requestPolicy: 'network-only' });
  const answer = data?.insights;
  const insights = answer?.__typename === 'QueryInsightsSuccess' ? answer.data : null;
  const refused = error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');
  const week = `${from.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} – ${new Date(to.getTime() - 1).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;

  return (
    <details className="settings insights" onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}>
      <summary>Insights</summary>
      <div className="insights-bar">
        <button type="button" onClick={() => (setOffset(offset - 1), setDrill(null))}>
          Previous week
        </button>
        <h3>{offset === 0 ? `This week (${week})` : `Week of ${week}`}</h3>
        <button type="button" disabled={offset >= 0} onClick={() => (setOffset(offset + 1), setDrill(null))}>
          Next week
        </button>
        <label>
          <input type="checkbox" checked={team} onChange={(e) => (setTeam(e.target.checked), setDrill(null))} /> The whole team
        </label>
      </div>
      {refused ? <p className="error">Only an admin sees the team's figures.</p> : error ? <p className="error">{error.message}</p> : null}
      {answer && answer.__typename !== 'QueryInsightsSuccess' && 'message' in answer ? <p className="error">{answer.message}</p> : null}
      {fetching && !insights ? <p className="loading">Adding up…</p> : null}
      {insights ? (
        <>
          <Glance totals={insights.totals} previous={insights.previous} />
          {insights.totals.waits === 0 ? <p className="empty">No agent waited on {team ? 'anyone' : 'you'} {offset === 0 ? 'this' : 'that'} week.</p> : <Details insights={insights} onDrill={setDrill} />}
          {drill ? <Waits drill={drill} variables={variables} onClose={() => setDrill(null)} showOwner={team} /> : null}
        </>
      ) : null}
    </details>
  );
}

function Glance({ totals, previous }: { totals: Figures; previous: Figures }) {
  return (
    <dl className="glance">
      <div>
        <dt>Time agents waited</dt>
        <dd>
          {duration(totals.waitedSeconds)} <span className="where">{change(totals.waitedSeconds, previous.waitedSeconds)}</span>
        </dd>
      </div>
      <div>
        <dt>Waits</dt>
        <dd>
          {totals.waits} <span className="where">{change(totals.waits, previous.waits)}</span>
        </dd>
      </div>
      <div>
        <dt>A wait, typically</dt>
        <dd>
          {duration(totals.medianSeconds)} <span className="where">9 in 10 under {duration(totals.p90Seconds)}</span>
        </dd>
      </div>
      <div>
        <dt>Until you looked</dt>
        <dd>{duration(totals.medianToSeenSeconds)}</dd>
      </div>
      <div>
        <dt>Until answered</dt>
        <dd>{duration(totals.medianToAnswerSeconds)}</dd>
      </div>
      <div>
        <dt>Escalated</dt>
        <dd>{totals.escalations}</dd>
      </div>
    </dl>
  );
}

function Details({ insights, onDrill }: { insights: Data; onDrill(drill: Drill): void }) {
  const longest = Math.max(...insights.days.map((d) => d.waitedSeconds), 1);
  return (
    <>
      <table className="days">
        <caption>Time waited per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Waits</th>
            <th scope="col">Time waited</th>
          </tr>
        </thead>
        <tbody>
          {insights.days.map((d) => {
            const label = new Date(`${d.day}T12:00:00`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
            return (
              <tr key={d.day}>
                <th scope="row">{label}</th>
                <td>
                  {d.waits ? (
                    <button type="button" className="link" onClick={() => onDrill({ label: `Waits begun ${label}`, day: d.day })}>
                      {d.waits}
                    </button>
                  ) : (
                    0
                  )}
                </td>
                <td>
                  <span className="bar" aria-hidden="true" style={{ inlineSize: `${(100 * d.waitedSeconds) / longest}%` }} />
                  {duration(d.waitedSeconds)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <Breakdown caption="Why they waited" rows={insights.byKind.map((g) => ({ ...g, name: KIND_NAMES[g.key as WaitKind] ?? g.key, drill: { label: KIND_NAMES[g.key as WaitKind], kind: g.key as WaitKind } }))} onDrill={onDrill} />
      <Breakdown caption="By project" rows={insights.byProject.map((g) => ({ ...g, name: g.key || '(no project)', drill: { label: g.key || '(no project)', project: g.key } }))} onDrill={onDrill} />

      <h3>Where the waits ended</h3>
      <ul className="plain">
        {insights.endings.map((e) => (
          <li key={e.endedBy}>
            {e.count} {ENDING_NAMES[e.endedBy] ?? e.endedBy}
          </li>
        ))}
      </ul>

      {insights.blockers.length ? (
        <table>
          <caption>The prompts that blocked most</caption>
          <thead>
            <tr>
              <th scope="col">Prompt</th>
              <th scope="col">Waits</th>
              <th scope="col">Allowed</th>
              <th scope="col">Denied</th>
              <th scope="col">Time waited</th>
            </tr>
          </thead>
          <tbody>
            {insights.blockers.map((b) => (
              <tr key={`${b.tool}\n${b.rule}`}>
                <th scope="row">
                  <code>{b.rule ?? b.tool}</code>
                </th>
                <td>
                  {b.rule ? (
                    <button type="button" className="link" onClick={() => onDrill({ label: b.rule!, rule: b.rule! })}>
                      {b.waits}
                    </button>
                  ) : (
                    b.waits
                  )}
                </td>
                <td>{b.allowed}</td>
                <td>{b.denied}</td>
                <td>{duration(b.waitedSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}

      <h3>Rules you could add</h3>
      {insights.suggestedRules.length === 0 ? (
        <p className="empty">No prompt was allowed three times without ever being denied.</p>
      ) : (
        <ul className="plain">
          {insights.suggestedRules.map((r) => (
            <li key={r.rule}>
              <code>{r.rule}</code>: allowed {r.allowed} times, never denied; it kept agents waiting {duration(r.waitedSeconds)}. In <code>.claude/settings.json</code>:
              <pre>{r.settings}</pre>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Breakdown({ caption, rows, onDrill }: { caption: string; rows: { key: string; name: string; figures: { waits: number; waitedSeconds: number; medianSeconds?: number | null }; drill: Drill }[]; onDrill(drill: Drill): void }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{caption === 'By project' ? 'Project' : 'Reason'}</th>
          <th scope="col">Waits</th>
          <th scope="col">Time waited</th>
          <th scope="col">Typical wait</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">{row.name}</th>
            <td>
              <button type="button" className="link" onClick={() => onDrill(row.drill)}>
                {row.figures.waits}
              </button>
            </td>
            <td>{duration(row.figures.waitedSeconds)}</td>
            <td>{duration(row.figures.medianSeconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Waits({ drill, variables, onClose, showOwner }: { drill: Drill; variables: { from: string; to: string; timeZone: string; scope: 'MINE' | 'TEAM' }; onClose(): void; showOwner: boolean }) {
  const [{ data }] = useQuery({
    query: InsightWaitsDocument,
    variables: { ...variables, kind: drill.kind, project: drill.project, day: drill.day, rule: drill.rule },
    requestPolicy: 'network-only',
  });
  const answer = data?.insights;
  const waits = answer?.__typename === 'QueryInsightsSuccess' ? answer.data.waits : null;
  return (
    <section className="drill" aria-label={`The waits behind: ${drill.label}`}>
      <h3>
        {drill.label}{' '}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </h3>
      {waits === null ? <p className="loading">Loading…</p> : null}
      <ul className="plain">
        {waits?.map((w) => (
          <li key={w.id}>
            <strong>{w.title ?? w.sessionId}</strong>
            {showOwner ? ` (${w.owner})` : ''}: {KIND_NAMES[w.kind].toLowerCase()}, {new Date(w.startedAt as string).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' })}, waited{' '}
            {duration(w.waitedSeconds)}
            {w.endedBy ? `, ${ENDING_NAMES[w.endedBy]}` : ', still waiting'}
            {w.decision ? ` (${w.decision === 'ALLOW' ? 'allowed' : 'denied'})` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
