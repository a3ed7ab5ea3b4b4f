// 2 and 3. Live delivery to 1, 100 and 1000 subscribers in two client processes, against a plain
// ws broadcast of the same payload; and the heap each idle subscriber costs, and whether it is
// all returned once they leave.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Child, now, startChild } from '../children.ts';
import { graphql, metric, post, SUBSCRIPTION } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { percentile } from '../stats.ts';

const CLIENT_PROCESSES = 2;
const FEED_SESSION = 'live-1';
const RECORD = `mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }`;

export interface Side {
  name: 'lookout' | 'plain';
  server: Child;
  clients: Child[];
  send(marker: string): Promise<void>;
}

/** Lookout's own `next` message for one change, with a placeholder where the marker goes. */
async function capturedEvent(url: string): Promise<string> {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    const message = new Promise<unknown>((resolve, reject) =>
      client.subscribe({ query: SUBSCRIPTION }, { next: resolve, error: reject, complete: () => {} }),
    );
    // The change is made once the subscription listens (a change made before it would never come).
    for (let tries = 0; (await metric(url, 'lookout_subscribers')) < 1; tries++) {
      if (tries === 500) throw new Error('The subscription to capture an event never started listening.');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await record(url, '__MARKER__');
    return JSON.stringify({ id: '1', type: 'next', payload: await message });
  } finally {
    await client.dispose();
  }
}

export function record(url: string, marker: string) {
  return graphql(url, RECORD, { input: { sessionId: FEED_SESSION, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: marker } });
}

let markers = 0;

/** Sends one change; true once every subscriber has it, false if that takes longer than `waitMs`. */
async function publish(side: Side, subscribers: number[], marker: string, waitMs: number): Promise<boolean> {
  const stops: (() => void)[] = [];
  const everyone = Promise.all(
    side.clients
      .filter((_, c) => subscribers[c]! > 0)
      .map((client) => new Promise<void>((resolve) => stops.push(client.onMessage((m) => m.type === 'all-received' && m.marker === marker && resolve())))),
  );
  let timeout: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), waitMs)));
  try {
    await side.send(marker);
    return await Promise.race([everyone.then(() => true), late]);
  } finally {
    clearTimeout(timeout);
    stops.forEach((stop) => stop());
  }
}

/** Changes until one reaches every subscriber: graphql-ws does not confirm a subscription. */
export async function untilAllSubscribed(side: Side, subscribers: number[]): Promise<void> {
  for (let tries = 0; !(await publish(side, subscribers, `bench ${++markers}`, 2_000)); tries++) {
    if (tries === 10) throw new Error(`${side.name}: changes never reached every subscriber`);
  }
  for (const client of side.clients) await client.request('take');
}

/** Sends `count` changes one after another; each waits until every subscriber has it. */
export async function deliver(side: Side, subscribers: number[], count: number) {
  const sentAt = new Map<string, number>();
  const lastDelivery: number[] = [];
  for (let i = 0; i < count; i++) {
    const marker = `bench ${++markers}`;
    sentAt.set(marker, now());
    if (!(await publish(side, subscribers, marker, 30_000))) throw new Error(`${side.name}: ${marker} did not reach every subscriber in 30 s`);
  }
  const latencies: number[] = [];
  const lastByMarker = new Map<string, number>();
  for (const client of side.clients) {
    const { receipts, resyncs } = await client.request<{ receipts: { marker: string; at: number }[]; resyncs: number }>('take');
    if (resyncs) throw new Error(`${side.name}: ${resyncs} subscribers were told to resync`);
    for (const { marker, at } of receipts) {
      if (!sentAt.has(marker)) continue; // a straggler from before this run of changes
      const latency = at - sentAt.get(marker)!;
      latencies.push(latency);
      lastByMarker.set(marker, Math.max(lastByMarker.get(marker) ?? 0, latency));
    }
  }
  lastDelivery.push(...lastByMarker.values());
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), lastP99: percentile(lastDelivery, 99) };
}

export async function measureDelivery(file: string, settings: Settings, counts: number[]): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [file]);
  const plain = await startChild('baseline-child.ts', ['broadcast']);
  const rows: Row[] = [];
  try {
    const lookoutUrl = lookout.ready.url as string;
    await plain.request('setEvent', { template: await capturedEvent(lookoutUrl) });
    const plainUrl = plain.ready.url as string;
    for (const count of counts) {
      const split = Array.from({ length: CLIENT_PROCESSES }, (_, c) => Math.floor(count / CLIENT_PROCESSES) + (c < count % CLIENT_PROCESSES ? 1 : 0));
      const sides: Side[] = [
        { name: 'lookout', server: lookout, clients: [], send: (marker) => record(lookoutUrl, marker).then(() => {}) },
        {
          name: 'plain',
          server: plain,
          clients: [],
          send: async (marker) => {
            const { status } = await post(`${plainUrl}?marker=${encodeURIComponent(marker)}`, '{}');
            if (status !== 200) throw new Error(`The broadcast server answered ${status}`);
          },
        },
      ];
      const heapBefore: Record<string, number> = {};
      const connectionHeap: Record<string, number> = {};
      const subscribedHeap: Record<string, number> = {};
      for (const side of sides) {
        heapBefore[side.name] = await side.server.request<number>('heap');
        const url = (side.name === 'lookout' ? lookoutUrl : plainUrl).replace(/^http/, 'ws');
        side.clients = await Promise.all(split.map(() => startChild('clients-child.ts', [side.name === 'lookout' ? 'graphql-ws' : 'ws', url])));
        await Promise.all(side.clients.map((client, c) => client.request('connect', { count: split[c] })));
        connectionHeap[side.name] = await side.server.request<number>('heap');
        await Promise.all(side.clients.map((client) => client.request('subscribe')));
        await untilAllSubscribed(side, split);
        subscribedHeap[side.name] = await side.server.request<number>('heap');
      }
      const kib = (bytes: number) => bytes / count / 1024;

      const results = { lookout: [] as Awaited<ReturnType<typeof deliver>>[], plain: [] as Awaited<ReturnType<typeof deliver>>[] };
      for (let round = 0; round < settings.rounds; round++) {
        for (const side of round % 2 ? [...sides].reverse() : sides) {
          results[side.name].push(await deliver(side, split, settings.quick ? 5 : 20));
        }
      }
      const heapAfter: Record<string, number> = {};
      for (const side of sides) {
        await Promise.all(side.clients.map((client) => client.request('close')));
        await Promise.all(side.clients.map((client) => client.stop()));
        await new Promise((resolve) => setTimeout(resolve, 1000));
        heapAfter[side.name] = await side.server.request<number>('heap');
      }

      const pick = (name: 'lookout' | 'plain', key: 'p50' | 'p99' | 'lastP99') => results[name].map((r) => r[key]);
      const ratio = (key: 'p50' | 'p99' | 'lastP99') => pick('lookout', key).map((v, i) => v / pick('plain', key)[i]!);
      const who = `${count} subscriber${count > 1 ? 's' : ''}`;
      const biggest = count === Math.max(...counts);
      rows.push(
        row(`delivery-${count}-p50`, `Delivery p50, ${who}`, 'ms', pick('lookout', 'p50'), { baseline: ['plain ws', pick('plain', 'p50')], ratio: ['Lookout ÷ plain', ratio('p50')] }),
        row(`delivery-${count}-p99`, `Delivery p99, ${who}`, 'ms', pick('lookout', 'p99'), {
          baseline: ['plain ws', pick('plain', 'p99')],
          ratio: ['Lookout ÷ plain', ratio('p99')],
          target: biggest ? { op: '<=', value: 1.5 } : undefined,
        }),
        row(`delivery-${count}-last-p99`, `Last delivery p99, ${who}`, 'ms', pick('lookout', 'lastP99'), {
          baseline: ['plain ws', pick('plain', 'lastP99')],
          ratio: ['Lookout ÷ plain', ratio('lastP99')],
        }),
      );
      if (biggest) {
        rows.push(
          row('memory-per-subscriber', `Heap per idle subscriber, ${who}`, 'KiB', [kib(subscribedHeap.lookout! - heapBefore.lookout!)], {
            baseline: ['plain ws', [kib(subscribedHeap.plain! - heapBefore.plain!)]],
            target: { op: '<=', value: 8, of: 'lookout' },
          }),
          // Where it goes: the connection itself, then the subscription on it.
          row('memory-per-connection', `of which the graphql-ws connection alone`, 'KiB', [kib(connectionHeap.lookout! - heapBefore.lookout!)], {
            baseline: ['plain ws', [kib(connectionHeap.plain! - heapBefore.plain!)]],
          }),
          row('memory-per-subscription', `of which the subscription on it`, 'KiB', [kib(subscribedHeap.lookout! - connectionHeap.lookout!)]),
          row('memory-returned', `Heap after all ${count} left ÷ before`, '×', [heapAfter.lookout! / heapBefore.lookout!], {
            baseline: ['plain ws', [heapAfter.plain! / heapBefore.plain!]],
            target: { op: '<=', value: 1.1, of: 'lookout' },
          }),
        );
      }
    }
    return rows;
  } finally {
    await Promise.all([lookout.stop(), plain.stop()]);
  }
}
