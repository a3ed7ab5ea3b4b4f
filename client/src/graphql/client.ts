// The page's urql client: HTTP for queries and mutations, one graphql-ws socket for the live feed.
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import { lookoutCache } from './cache.ts';
import type { ConnectionStore } from './connection.ts';

const FORBIDDEN = 4403;
/** Failed reconnects in a row before the page says it is offline rather than reconnecting. */
const OFFLINE_AFTER = 3;

export function createLookoutClient(token: string | null, connection: ConnectionStore): { client: Client; dispose(): void } {
  const url = new URL('/graphql', window.location.href).href;
  const authorization = token ? `Bearer ${token}` : undefined;
  let everConnected = false;
  let failures = 0;

  const socket = createWsClient({
    url: url.replace(/^http/, 'ws'),
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    // Backs off to 10 s, but tries at once when the device is back online (a phone leaving a tunnel).
    retryWait: (retries) =>
      new Promise<void>((resolve) => {
        const retry = () => {
          clearTimeout(timer);
          window.removeEventListener('online', retry);
          resolve();
        };
        const timer = setTimeout(retry, Math.min(500 * 2 ** retries, 10_000));
        window.addEventListener('online', retry);
      }),
    shouldRetry: (event) => (event as CloseEvent)?.code !== FORBIDDEN,
    connectionParams: () => (authorization ? { authorization } : {}),
    onNonLazyError: () => {},
    on: {
      connected: () => {
        failures = 0;
        connection.set('live');
        if (everConnected) connection.reconnected();
        everConnected = true;
      },
      closed: (event) => {
        if ((event as CloseEvent)?.code === FORBIDDEN) return connection.set('unauthorized');
        failures++;
        connection.set(failures >= OFFLINE_AFTER || !navigator.onLine ? 'offline' : 'reconnecting');
      },
    },
  });

  const client = new Client({
    url,
    fetchOptions: () => (authorization ? { headers: { authorization } } : {}),
    // A refused token shows the token prompt, whichever request hears it first.
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) connection.set('unauthorized');
      return response;
    },
    exchanges: [
      lookoutCache,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, dispose: () => void socket.dispose() };
}
