// The page shell: one urql client per token; asks for the token when the server wants one.
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { Feed } from './feed/Feed.tsx';
import { createLookoutClient } from './graphql/client.ts';
import { type ConnectionStore, createConnectionStore, useConnectionState } from './graphql/connection.ts';
import { keepTokenForWorker } from './push/worker-token.ts';

const TOKEN_KEY = 'lookout.token';

export function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY));
  // A new token means a new connection, with its own state.
  const connection = useMemo(() => createConnectionStore(), [token]);
  const { client, dispose } = useMemo(() => createLookoutClient(token, connection), [token, connection]);
  useEffect(() => dispose, [dispose]);
  // A notification's Allow or Deny is sent with the page's token.
  useEffect(() => void keepTokenForWorker(token), [token]);

  const saveToken = (value: string) => {
    localStorage.setItem(TOKEN_KEY, value);
    setToken(value);
  };
  return (
    <Provider value={client}>
      <TokenGate connection={connection} onToken={saveToken} hadToken={!!token}>
        <Feed connection={connection} />
      </TokenGate>
    </Provider>
  );
}

function TokenGate({ connection, onToken, hadToken, children }: { connection: ConnectionStore; onToken(token: string): void; hadToken: boolean; children: React.ReactNode }) {
  const refused = useConnectionState(connection) === 'unauthorized';
  const [value, setValue] = useState('');
  if (!refused) return <>{children}</>;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) onToken(value.trim());
  };
  return (
    <main className="token-gate">
      <h1>Lookout</h1>
      <form onSubmit={submit}>
        <label htmlFor="token">{hadToken ? 'That token was refused. Enter the current one:' : 'This Lookout needs its token (LOOKOUT_TOKEN):'}</label>
        <input id="token" type="password" autoComplete="current-password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        <button type="submit">Open the feed</button>
      </form>
    </main>
  );
}
