// Open feed pages in their own process, as the server sees them: each follows the live feed over
// graphql-ws with the page's subscription and, in `refetch` mode (what the page did before it
// patched its cache), asks for the whole feed again after every change. The parent hears when
// every page has finished with a change.
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { FeedChangedDocument, FeedDocument, type FeedQueryVariables } from '../client/src/gql/graphql.ts';
import { serveParent } from './children.ts';
import { GRAPHQL_HEADERS } from './http.ts';

const [mode, url] = process.argv.slice(2) as ['patch' | 'refetch', string];

// The page's own documents, as the built page sends them (its variables checked against the query's).
const FEED_VARIABLES: FeedQueryVariables = { project: null, filtered: false };
const FEED_BODY = JSON.stringify({ query: print(FeedDocument), variables: FEED_VARIABLES, operationName: 'Feed' });
const SUBSCRIPTION = print(FeedChangedDocument);

const done = new Map<string, number>();
let pages = 0;
const clients: Client[] = [];

async function finished(marker: string) {
  const count = (done.get(marker) ?? 0) + 1;
  done.set(marker, count);
  if (count === pages) {
    done.delete(marker);
    process.send!({ type: 'all-received', marker });
  }
}

async function received(payload: any) {
  const marker = payload?.data?.attentionChanged?.attention?.detail as string | undefined;
  if (!marker) return;
  if (mode === 'refetch') {
    const res = await fetch(url, { method: 'POST', headers: GRAPHQL_HEADERS, body: FEED_BODY });
    const text = await res.text();
    if (res.status !== 200 || !text.includes(marker)) throw new Error(`The feed came back ${res.status} without the change`);
  }
  await finished(marker);
}

serveParent({
  async connect({ count }: { count: number }) {
    pages = count;
    for (let i = 0; i < count; i++) {
      const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      client.subscribe({ query: SUBSCRIPTION, variables: { after: null, project: null } }, { next: (p) => void received(p), error: (e) => console.error('page subscription error', e), complete: () => {} });
      clients.push(client);
    }
  },
  close() {
    for (const client of clients.splice(0)) void client.dispose();
  },
});
