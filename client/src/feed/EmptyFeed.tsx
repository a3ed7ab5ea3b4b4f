// What an empty feed means: nothing needs you while sessions work, or no agent has reported yet.
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';

const QuietQuery = graphql(`
  query Quiet {
    working: sessions(filter: { state: WORKING, hidden: false }, first: 100) {
      edges { node { id } }
    }
    anyone: sessions(first: 1) {
      edges { node { id } }
    }
  }
`);

/** Asked again each time the feed moves on (`seq`), so that it says what is true now. */
export function EmptyFeed({ seq }: { seq: number }) {
  const [{ data }, reexecute] = useQuery({ query: QuietQuery, requestPolicy: 'network-only' });
  useEffect(() => reexecute({ requestPolicy: 'network-only' }), [seq, reexecute]);
  if (!data) return null;
  if (!data.anyone.edges.length) {
    return (
      <p className="connect">
        No agent has reported yet. Connect Claude Code (or Codex) from Lookout's folder: <code>npx lookout install claude-code --user</code>, then{' '}
        <code>npx lookout doctor</code> checks the way.
      </p>
    );
  }
  const working = data.working.edges.length;
  return (
    <p className="quiet">
      All quiet: {working ? `${working === 100 ? '100+' : working} session${working === 1 ? '' : 's'} working, none needs you.` : 'nothing needs you.'}
    </p>
  );
}
