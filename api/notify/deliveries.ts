// Sending news out of Lookout (webhooks, Web Push) without ever being in a write's way: each
// target has its own bounded queue (oldest dropped first), sent one at a time with a timeout,
// retried with backoff, given up after a while; every attempt's outcome is noted for the user.

export interface DeliveryOptions {
  /** Attempts per delivery, the first included. */
  attempts?: number;
  /** The first retry's wait; each next one doubles it. */
  backoffMs?: number;
  timeoutMs?: number;
  /** Deliveries waiting per target at most; beyond it the oldest is dropped. */
  queueLimit?: number;
}

/** A request to send: built once per delivery, sent on each attempt. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface Attempt {
  /** "200", "500", "timeout", "unreachable: ...". */
  status: string;
  ok: boolean;
}

/** What a target's owner hears of each attempt. */
export type NoteAttempt = (targetId: string, attempt: Attempt) => void;

/** Statuses worth no retry: the target says it is gone or the request is wrong. */
const NOT_RETRIED = new Set(['400', '401', '403', '404', '410', '413']);

export class Deliveries {
  private readonly queues = new Map<string, OutgoingRequest[]>();
  private readonly sending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly options: Required<DeliveryOptions>;
  private stopped = false;

  constructor(
    private readonly note: NoteAttempt,
    options: DeliveryOptions = {},
  ) {
    this.options = { attempts: 5, backoffMs: 1_000, timeoutMs: 5_000, queueLimit: 100, ...options };
  }

  /** Queues a request for a target and returns at once. */
  send(targetId: string, request: OutgoingRequest): void {
    if (this.stopped) return;
    const queue = this.queues.get(targetId) ?? [];
    queue.push(request);
    if (queue.length > this.options.queueLimit) queue.shift();
    this.queues.set(targetId, queue);
    this.drain(targetId).catch((error: Error) => console.error(`Delivery to ${targetId} failed:`, error.message));
  }

  /** Drops what waits for a target that is gone. */
  forget(targetId: string): void {
    this.queues.delete(targetId);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Sends one target's queue, in order, one request at a time. */
  private async drain(targetId: string): Promise<void> {
    if (this.sending.has(targetId)) return;
    this.sending.add(targetId);
    try {
      for (;;) {
        const request = this.queues.get(targetId)?.shift();
        if (!request || this.stopped) return;
        await this.deliver(targetId, request);
      }
    } finally {
      this.sending.delete(targetId);
    }
  }

  private async deliver(targetId: string, request: OutgoingRequest): Promise<void> {
    const { attempts, backoffMs, timeoutMs } = this.options;
    for (let attempt = 1; attempt <= attempts && !this.stopped; attempt++) {
      const status = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: typeof request.body === 'string' ? request.body : new Uint8Array(request.body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      }).then(
        async (res) => {
          await res.arrayBuffer().catch(() => {});
          return String(res.status);
        },
        (error: Error) => (error.name === 'TimeoutError' ? 'timeout' : `unreachable: ${error.message}`),
      );
      const ok = /^2\d\d$/.test(status);
      const refused = NOT_RETRIED.has(status);
      const gaveUp = !ok && !refused && attempt === attempts;
      if (this.stopped) return;
      this.note(targetId, { status: gaveUp ? `gave up after ${attempt} attempts: ${status}` : status, ok });
      if (ok || refused || gaveUp) return;
      await this.wait(backoffMs * 2 ** (attempt - 1));
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }
}
