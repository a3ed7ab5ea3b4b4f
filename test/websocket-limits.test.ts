import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { collect, FEED_EVENT, RECORD_SPEAKER, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

/** A raw graphql-ws client that subscribes, then stops reading its socket altogether. */
async function stalledSubscriber({ url }: TestServer) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: FEED_EVENT } }));
  await subscribersListening(server, 1);
  const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
  tcp.pause();
  const closed = new Promise<void>((resolve) => tcp.once('close', () => resolve()));
  return { socket, tcp, closed };
}

describe('a subscriber that stops reading', () => {
  it('neither crashes the server nor delays another subscriber, and is closed when it stops answering pings', async () => {
    server = await startServer({}, { keepAliveMs: 500, subscriberBuffer: 16 });
    const stalled = await stalledSubscriber(server);
    const healthy = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 2);

    const title = 'x'.repeat(400);
    for (let i = 0; i < 300; i++) {
      await server.gql(RECORD_SPEAKER, { input: { sessionId: `s${i}`, speaker: i % 2 ? 'USER' : 'ASSISTANT', title } });
    }
    // Every change reached the healthy subscriber, in order, while the other one read nothing.
    const events = await healthy.next(150, 10_000);
    expect(events.map((e) => e.attentionChanged.session.id)).toEqual(Array.from({ length: 150 }, (_, i) => `s${i * 2}`));

    // The stalled socket answers no ping, so the server closes it (its subscription goes with it);
    // only then does the client read again, and hears the close.
    await expect.poll(() => server.attention.subscriberCount, { timeout: 10_000 }).toBe(1);
    stalled.tcp.resume();
    await stalled.closed;
    expect((await server.gql(`{ attentionSummary { total } }`)).data.attentionSummary.total).toBe(150);
  });
});

describe('a socket that never says who it is', () => {
  it('is closed with 4408 after 3 s, as graphql-ws closes it; one that does in time stays', async () => {
    server = await startServer();
    const wsUrl = server.url.replace(/^http/, 'ws');
    const silent = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => silent.once('open', resolve));
    const opened = Date.now();
    const client = collect(server.wsClient(), FEED_EVENT);
    await subscribersListening(server, 1);
    const [code, reason] = await new Promise<[number, string]>((resolve) => silent.once('close', (c, r) => resolve([c, String(r)])));
    expect([code, reason]).toEqual([4408, 'Connection initialisation timeout']);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2900);
    expect(server.attention.subscriberCount).toBe(1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'still-here', speaker: 'ASSISTANT' } });
    expect((await client.next(1, 5_000))[0].attentionChanged.session.id).toBe('still-here');
  });
});

describe('keep-alive', () => {
  it('keeps a socket that answers every ping, round after round', async () => {
    server = await startServer({}, { keepAliveMs: 200 });
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: FEED_EVENT } }));
    await subscribersListening(server, 1);
    // ws answers each ping with a pong by itself; the server's check runs before each new ping.
    let pings = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('ping', () => ++pings === 4 && resolve());
      socket.once('close', (code) => reject(new Error(`closed by the server (${code}) after ${pings} pings`)));
    });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(server.attention.subscriberCount).toBe(1);
    socket.close();
  });
});

describe('operations per connection', () => {
  it('are capped at 20; the next one gets an error and the connection keeps working', async () => {
    server = await startServer();
    const client = server.wsClient();
    const feeds = Array.from({ length: 20 }, () => collect(client, FEED_EVENT));
    await subscribersListening(server, 20);
    const extra = collect(client, FEED_EVENT);
    await expect(extra.next(1)).rejects.toThrow(/At most 20 operations/);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'ASSISTANT' } });
    for (const feed of feeds) await expect(feed.next(1)).resolves.toHaveLength(1);
  });
});
