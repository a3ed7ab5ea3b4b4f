// One session in the feed: why it needs you, since when, and what you can do about it.
import { type FragmentType, graphql, useFragment } from '../gql';
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
    }
  }
`);

export type FeedAction = { kind: 'seen' } | { kind: 'hide' } | { kind: 'snooze'; until: Date };

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
  onSelect(): void;
  onAction(action: FeedAction): void;
}

export function FeedItem({ session: sessionRef, now, selected, showHost, onSelect, onAction }: Props) {
  const session = useFragment(FeedItemFragment, sessionRef);
  const attention = session.attention;
  if (!attention) return null;
  const since = new Date(attention.since);
  const { title } = session;
  const where = [session.project, session.branch].filter(Boolean).join(' · ');

  return (
    <li
      className={`item reason-${attention.reason.toLowerCase()}${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      data-session-id={session.id}
      onClick={onSelect}
    >
      <div className="item-main">
        <span className="label">{attention.label}</span>
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
          {where || session.agent}
          {showHost && session.host ? <span className="host"> on {session.host}</span> : null}
        </p>
        {attention.detail ? <p className="detail">{attention.detail}</p> : null}
      </div>
      <div className="actions" role="group" aria-label={`Actions for ${title}`}>
        <button type="button" onClick={() => onAction({ kind: 'seen' })}>
          Seen
        </button>
        <details className="snooze">
          <summary>Snooze</summary>
          <div className="menu">
            {SNOOZE_CHOICES.map((choice) => (
              <button key={choice.label} type="button" onClick={() => onAction({ kind: 'snooze', until: choice.until(new Date()) })}>
                {choice.label}
              </button>
            ))}
          </div>
        </details>
        <button type="button" onClick={() => onAction({ kind: 'hide' })}>
          Hide
        </button>
      </div>
    </li>
  );
}
