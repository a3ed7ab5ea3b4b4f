// Hooks being refused (a token turned on or revoked after install): their events never reach the
// feed, so the page says so, with what to run.
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';

const RefusedHooksQuery = graphql(`
  query RefusedHooks {
    refusedHooks { address count since reason }
  }
`);

/** How often the page asks again (and whenever its window comes back to the front). */
const EVERY_MS = 30_000;

export function RefusedHooks() {
  const [{ data }, reexecute] = useQuery({ query: RefusedHooksQuery, requestPolicy: 'network-only' });
  useEffect(() => {
    const again = () => reexecute({ requestPolicy: 'network-only' });
    const timer = setInterval(again, EVERY_MS);
    window.addEventListener('focus', again);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', again);
    };
  }, [reexecute]);
  const refused = data?.refusedHooks ?? [];
  if (!refused.length) return null;
  return (
    <div className="banner error" role="alert">
      {refused.map((r) => (
        <p key={r.address}>
          Hooks from {r.address} were refused {r.count === 1 ? 'once' : `${r.count} times`} since {new Date(r.since).toLocaleTimeString()}: {r.reason}, so their sessions are missing here. Run{' '}
          <code>lookout doctor</code> on that machine: it says the fix.
        </p>
      ))}
    </div>
  );
}
