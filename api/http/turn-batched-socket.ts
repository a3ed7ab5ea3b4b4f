// The live feed's sockets send what one turn of the event loop gives them in one write. graphql-ws
// sends each event as it comes and waits for the write before taking the next, so a batch of
// changes (the writer stores every write of a turn in one transaction) left as one system call per
// change per socket: the most of a page's delivery cost (`npm run bench`, mixed and pages, issue 27).
// Here each socket is corked at its first message and uncorked once the promise callbacks then
// running are done (the next tick), all sockets together; a message counts as sent once the socket holds it, while it holds
// less than SEND_BUFFER_BYTES. Past that, the send waits for the write as before, so a page that
// stops reading still costs a bounded amount: its changes wait in its feed stream, which tells it
// to refetch once too many are waiting.
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/** What one socket may hold unwritten before a send waits for the write. */
export const SEND_BUFFER_BYTES = 256 * 1024;

type SendCallback = (error?: Error) => void;

/** Sockets corked in this turn, uncorked together after it. */
const corked = new Set<Socket>();

function uncorkAll() {
  for (const socket of corked) socket.uncork();
  corked.clear();
}

export class TurnBatchedWebSocket extends WebSocket {
  override send(data: Parameters<WebSocket['send']>[0], options?: SendCallback | Parameters<WebSocket['send']>[1], callback?: SendCallback): void {
    const done = typeof options === 'function' ? options : callback;
    const sendOptions = typeof options === 'function' ? {} : (options ?? {});
    // ws keeps its TCP socket as `_socket`; it has no public way to cork it.
    const socket = (this as unknown as { _socket?: Socket })._socket;
    if (socket && this.readyState === WebSocket.OPEN && !corked.has(socket)) {
      if (corked.size === 0) process.nextTick(uncorkAll);
      socket.cork();
      corked.add(socket);
    }
    if (!done || this.bufferedAmount >= SEND_BUFFER_BYTES) return super.send(data, sendOptions, done);
    super.send(data, sendOptions);
    done();
  }
}
