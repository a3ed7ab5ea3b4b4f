// One session in the feed: why it needs you, since when, and what you can do about it.
import { useState } from 'react';
import { type FragmentType, graphql, useFragment } from '../gql';
import type { FeedItem_SessionFragment } from '../gql/graphql.ts';
import { isOpenableLink } from '../../../api/links.ts';
import { formatElapsed } from './elapsed.ts';
import { nextMorning } from './time.ts';

export const FeedItemFragment = graphql(`
  fragment FeedItem_session on Session {
    id
    title
    project
    branch
    host
    link
    agent
    attention {
      tier
      reason
      label
      detail
      since
      escalated
    }
    pendingPermission {
      id
      kind
      tool
      input
      alwaysAllowRule
      fromSubagent
    }
  }
`);

/** Agents by the names their users know them by. */
const AGENT_NAMES: Record<string, string> = { 'claude-code': 'Claude Code', codex: 'Codex' };

export type PermissionDecision = 'ALLOW_ONCE' | 'ALLOW_ALWAYS' | 'DENY';

export type FeedAction =
  | { kind: 'seen' }
  | { kind: 'hide' }
  | { kind: 'snooze'; until: Date }
  | { kind: 'answer'; requestId: string; decision: PermissionDecision; message?: string };

export const SNOOZE_CHOICES: { label: string; until: (now: Date) => Date }[] = [
  { label: '15 min', until: (now) => new Date(now.getTime() + 15 * 60_000) },
  { label: '1 hour', until: (now) => new Date(now.getTime() + 60 * 60_000) },
  { label: 'Tomorrow 9:00', until: nextMorning },
];

interface Props {
  session: FragmentType<typeof FeedItemFragment>;
  now: Date;
  selected: boolean;
  showHost: boolean;
  /** Lookout cannot be reached: actions would wait, so they are off. */
  offline: boolean;
  onSelect(): void;
  onAction(action: FeedAction): void;
}

export function FeedItem({ session: sessionRef, now, selected, showHost, offline, onSelect, onAction }: Props) {
  const session = useFragment(FeedItemFragment, sessionRef);
  const attention = session.attention;
  if (!attention) return null;
  const since = new Date(attention.since);
  const { title } = session;
  const where = [AGENT_NAMES[session.agent] ?? session.agent, session.project, session.branch].filter(Boolean).join(' · ');

  return (
    <li
      className={`item reason-${attention.reason.toLowerCase()}${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      data-session-id={session.id}
      onClick={onSelect}
    >
      <div className="item-main">
        <span className="label">{attention.label}</span>
        {attention.escalated ? <span className="escalated">Still waiting</span> : null}
        <time className="since" dateTime={attention.since} title={since.toLocaleString()}>
          {formatElapsed(since, now)}
        </time>
        <h3 className="title">
          {session.link && isOpenableLink(session.link) ? (
            <a href={session.link} target="_blank" rel="noreferrer">
              {title}
            </a>
          ) : (
            title
          )}
        </h3>
        <p className="where">
          {where}
          {showHost && session.host ? <span className="host"> on {session.host}</span> : null}
        </p>
        {attention.detail && !session.pendingPermission ? <p className="detail">{attention.detail}</p> : null}
        {session.pendingPermission ? <Answer request={session.pendingPermission} onAnswer={onAction} offline={offline} /> : null}
      </div>
      <div className="actions" role="group" aria-label={`Actions for ${title}`}>
        <button type="button" disabled={offline} onClick={() => onAction({ kind: 'seen' })}>
          Seen
        </button>
        <details className="snooze">
          <summary>Snooze</summary>
          <div className="menu">
            {SNOOZE_CHOICES.map((choice) => (
              <button key={choice.label} type="button" disabled={offline} onClick={() => onAction({ kind: 'snooze', until: choice.until(new Date()) })}>
                {choice.label}
              </button>
            ))}
          </div>
        </details>
        <button type="button" disabled={offline} onClick={() => onAction({ kind: 'hide' })}>
          Hide
        </button>
      </div>
    </li>
  );
}

type Pending = NonNullable<FeedItem_SessionFragment['pendingPermission']>;

/** Allow once, always allow (saying which rule, and where it is kept), or deny with a message; for a plan: approve, or keep planning. */
function Answer({ request, onAnswer, offline }: { request: Pending; onAnswer(action: FeedAction): void; offline: boolean }) {
  const [message, setMessage] = useState('');
  const plan = request.kind === 'PLAN';
  const answer = (decision: PermissionDecision) =>
    onAnswer({ kind: 'answer', requestId: request.id, decision, message: decision === 'DENY' && message.trim() ? message.trim() : undefined });
  return (
    <form
      className="answer"
      aria-label={plan ? 'Review the plan' : `Answer: ${request.tool}`}
      data-request-id={request.id}
      onSubmit={(event) => {
        event.preventDefault();
        answer('DENY');
      }}
    >
      <pre className="input">{request.input}</pre>
      {request.alwaysAllowRule && !plan ? <p className="rule">Always allow keeps: {request.alwaysAllowRule}</p> : null}
      <div className="answer-buttons">
        <button type="button" className="allow" disabled={offline} onClick={() => answer('ALLOW_ONCE')}>
          {plan ? 'Approve plan' : 'Allow once'}
        </button>
        {request.alwaysAllowRule && !plan ? (
          <button type="button" className="allow" disabled={offline} onClick={() => answer('ALLOW_ALWAYS')} title={request.alwaysAllowRule}>
            Always allow
          </button>
        ) : null}
        <input
          type="text"
          name="message"
          aria-label={plan ? 'What to change in the plan' : 'Why, or what to do instead (optional)'}
          placeholder={plan ? 'What to change…' : 'Why, or what instead (optional)'}
          value={message}
          onChange={(event) => setMessage(event.target.value)}
          maxLength={2000}
        />
        <button type="submit" className="deny" disabled={offline}>
          {plan ? 'Keep planning' : 'Deny'}
        </button>
      </div>
    </form>
  );
}
