import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SEND_BUFFER_BYTES, TurnBatchedWebSocket } from './turn-batched-socket.ts';

let wss: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await new Promise((resolve) => wss?.close(resolve));
});

/** A real server socket of the batching kind, and a real client on the other end. */
async function connected() {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: TurnBatchedWebSocket });
  await new Promise((resolve) => wss!.once('listening', resolve));
  const serverSide = new Promise<TurnBatchedWebSocket>((resolve) => wss!.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  clients.push(client);
  const socket = await serverSide;
  await new Promise((resolve) => client.once('open', resolve));
  const tcp = (socket as unknown as { _socket: Socket })._socket;
  return { socket, client, tcp };
}

const sent = (socket: WebSocket, data: string) => new Promise<void>((resolve, reject) => socket.send(data, (error) => (error ? reject(error) : resolve())));

describe('a feed socket', () => {
  it('holds the messages of one turn and writes them together, in order, once its callbacks have run', async () => {
    const { socket, client, tcp } = await connected();
    const received: string[] = [];
    const all = new Promise<void>((resolve) => client.on('message', (data) => received.push(String(data)) === 3 && resolve()));
    const acknowledged = Promise.all(['one', 'two', 'three'].map((text) => sent(socket, text)));
    // Nothing has left yet: all three wait in the corked socket.
    expect(tcp.writableCorked).toBe(1);
    expect(tcp.writableLength).toBeGreaterThanOrEqual('onetwothree'.length);
    await acknowledged;
    await new Promise((resolve) => process.nextTick(resolve));
    expect(tcp.writableCorked).toBe(0);
    await all;
    expect(received).toEqual(['one', 'two', 'three']);
  });

  it('makes a send wait for its write once the socket holds too much that was not written', async () => {
    const { socket, client, tcp } = await connected();
    // The client stops reading: what the server sends stays in its buffers.
    (client as unknown as { _socket: Socket })._socket.pause();
    const big = 'x'.repeat(64 * 1024);
    let acknowledged = 0;
    for (let i = 0; i * big.length < SEND_BUFFER_BYTES; i++) socket.send(big, () => acknowledged++);
    const counted = acknowledged;
    expect(counted).toBe(Math.ceil(SEND_BUFFER_BYTES / big.length));
    // One more: the socket already holds the limit, so it is acknowledged only when written.
    let last = false;
    socket.send(big, () => (last = true));
    expect(last).toBe(false);
    expect(socket.bufferedAmount).toBeGreaterThanOrEqual(SEND_BUFFER_BYTES);
    expect(tcp.writableCorked).toBe(1);
  });
});
