// The sessions the user hid, found again and unhidden: a closed section below the feed.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { AGENT_NAMES } from './FeedItem.tsx';

const HiddenQuery = graphql(`
  query Hidden {
    sessions(filter: { hidden: true }, first: 100) {
      edges { node { id title project branch agent } }
    }
  }
`);

const Unhide = graphql(`
  mutation Unhide($sessionId: String!) {
    unhideSession(sessionId: $sessionId) {
      __typename
      ... on MutationUnhideSessionSuccess { data { id hidden attention { tier reason label since } } }
      ... on Error { message }
    }
  }
`);

export function Hidden({ offline }: { offline: boolean }) {
  const [open, setOpen] = useState(false);
  const [{ data }, refetch] = useQuery({ query: HiddenQuery, pause: !open, requestPolicy: 'network-only' });
  const [, unhide] = useMutation(Unhide);
  const hidden = data?.sessions.edges.map((e) => e.node) ?? [];
  return (
    <details
      className="hidden-sessions"
      onToggle={(event) => {
        setOpen((event.target as HTMLDetailsElement).open);
      }}
    >
      <summary>Hidden sessions{open && data ? ` (${hidden.length})` : ''}</summary>
      {open && data && hidden.length === 0 ? <p className="empty">Nothing is hidden.</p> : null}
      <ul>
        {hidden.map((s) => (
          <li key={s.id}>
            <span>{s.title}</span> <span className="where">{[AGENT_NAMES[s.agent] ?? s.agent, s.project, s.branch].filter(Boolean).join(' · ')}</span>{' '}
            <button
              type="button"
              disabled={offline}
              onClick={async () => {
                await unhide({ sessionId: s.id });
                refetch({ requestPolicy: 'network-only' });
              }}
            >
              Unhide
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
