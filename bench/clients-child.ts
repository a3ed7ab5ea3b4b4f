// Subscribers in their own process: graphql-ws clients of Lookout, or plain ws clients of the
// broadcast baseline. Each notes when it received each marker; the parent collects the times.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { now, serveParent } from './children.ts';
import { SUBSCRIPTION } from './http.ts';

const [kind, url] = process.argv.slice(2) as ['graphql-ws' | 'ws', string];

let receipts: { marker: string; at: number }[] = [];
const counts = new Map<string, number>();
let expected = 0;
let resyncs = 0;
const closers: (() => void)[] = [];

function received(payload: any) {
  const at = now();
  const event = payload?.data?.attentionChanged;
  if (!event?.session) {
    resyncs++;
    return;
  }
  const marker = event.session.waitDetail as string;
  receipts.push({ marker, at });
  const count = (counts.get(marker) ?? 0) + 1;
  counts.set(marker, count);
  if (count === expected) process.send!({ type: 'all-received', marker });
}

const clients: Client[] = [];

function openGraphqlWs(): Promise<void> {
  return new Promise((resolve, reject) => {
    const client: Client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: reject, on: { connected: () => resolve() } });
    clients.push(client);
    closers.push(() => void client.dispose());
  });
}

function subscribe(client: Client): void {
  client.subscribe({ query: SUBSCRIPTION }, { next: received, error: (e) => console.error('subscription error', e), complete: () => {} });
}

function openPlainWs(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('open', () => resolve());
    socket.on('error', reject);
    socket.on('message', (data) => received(JSON.parse(data.toString()).payload));
    closers.push(() => socket.close());
  });
}

serveParent({
  /** Opens `count` connections, a few at a time so the server is not flooded with handshakes. */
  async connect({ count }: { count: number }) {
    expected = count;
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => (kind === 'graphql-ws' ? openGraphqlWs() : openPlainWs())));
    }
  },
  /** Subscribes on every graphql-ws connection (a plain ws client receives from the start). */
  subscribe() {
    clients.forEach(subscribe);
  },
  take() {
    const taken = receipts;
    receipts = [];
    counts.clear();
    return { receipts: taken, resyncs };
  },
  close() {
    for (const close of closers.splice(0)) close();
  },
});
