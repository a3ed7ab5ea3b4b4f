// Sending news out of Lookout (webhooks, Web Push) without ever being in a write's way, and at a
// cost no member can raise: one bounded queue for every delivery of the process (the oldest
// dropped first, and a target's own oldest once it holds its share), sent by a fixed number of
// concurrent requests, each with a timeout, one at a time per target (so each target hears things
// in order), retried with backoff without holding a slot meanwhile, and given up after a while.
// Each delivery's outcome is told once, when it is final.
import { rootCertificates } from 'node:tls';
import type { Agent, fetch as undiciFetch, Response } from 'undici';
import { publicOnlyLookup } from './push-endpoints.ts';

/**
 * undici, loaded when first needed. Its default export (the module's own exports, in node and in the
 * bundle alike: the bundle's chunk of it, loaded on first use, offers no named ones).
 */
export const undici = () => import('undici').then((module) => module.default);

export interface DeliveryOptions {
  /** Attempts per delivery, the first included. */
  attempts?: number;
  /** The first retry's wait; each next one doubles it. */
  backoffMs?: number;
  timeoutMs?: number;
  /** Requests in flight at once, for every target together. */
  concurrency?: number;
  /** Deliveries waiting, for every target together; beyond it the oldest is dropped. */
  queueLimit?: number;
  /** Deliveries waiting for one target; beyond it its oldest is dropped. */
  targetQueueLimit?: number;
  /** A certificate authority trusted besides the system's (a push service of your own). */
  ca?: string | Buffer;
}

/** A request to send: built once per delivery, sent on each attempt. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Connect only to public addresses, checked after DNS (a member chose the URL). */
  publicOnly?: boolean;
  /** Read what the target answers, as JSON (a chat service's API says there what it made); unread otherwise. */
  readAnswer?: boolean;
}

/** A delivery's end: delivered, refused by the target (no retry helps), or given up. */
export interface Outcome {
  kind: 'delivered' | 'refused' | 'gave up';
  /** The last attempt's HTTP status, "timeout" or "unreachable: …". */
  status: string;
  attempts: number;
  /** What the target answered, when the request asked for it and it was JSON within ANSWER_LIMIT_BYTES. */
  answer?: unknown;
}

/** The most of an answer read, when one is read: a chat API's answer to a sent message is small. */
const ANSWER_LIMIT_BYTES = 64 * 1024;

/** Statuses worth no retry: the target says it is gone or the request is wrong. */
const NOT_RETRIED = new Set(['400', '401', '403', '404', '410', '413']);

interface Delivery {
  target: string;
  request: OutgoingRequest;
  told: (outcome: Outcome) => void;
  attempts: number;
}

export class Deliveries {
  private readonly options: Required<Omit<DeliveryOptions, 'ca'>>;
  private readonly waiting: Delivery[] = [];
  /** Deliveries whose wait before a retry is over: sent before any new one. */
  private readonly due: Delivery[] = [];
  /** Targets with a delivery in flight or waiting to retry: their next waits. */
  private readonly busy = new Set<string>();
  private readonly perTarget = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly trust: { ca?: string[] };
  /**
   * undici and the two ways out (any address; public addresses only), made at the first delivery:
   * most starts send none, and undici is 0.7 MB of the server's bundle (loaded with it, ~45 ms of
   * every start, BENCHMARKS.md).
   */
  private http: Promise<{ fetch: typeof undiciFetch; agent: Agent; publicAgent: Agent }> | undefined;
  private sending = 0;
  private stopped = false;
  /** Deliveries ended, by outcome, and dropped unsent (the queue was full). */
  readonly counts: Record<Outcome['kind'] | 'dropped', number> = { delivered: 0, refused: 0, 'gave up': 0, dropped: 0 };

  constructor(options: DeliveryOptions = {}) {
    const { ca, ...rest } = options;
    this.options = { attempts: 5, backoffMs: 1_000, timeoutMs: 5_000, concurrency: 8, queueLimit: 1_000, targetQueueLimit: 50, ...rest };
    this.trust = ca ? { ca: [...rootCertificates, ca.toString()] } : {};
  }

  private ways() {
    return (this.http ??= undici().then(({ Agent, fetch }) => ({
      fetch,
      agent: new Agent({ connect: this.trust }),
      publicAgent: new Agent({ connect: { ...this.trust, lookup: publicOnlyLookup() } }),
    })));
  }

  /** Queues a request for a target and returns at once; `told` hears its outcome, unless it is dropped. */
  send(target: string, request: OutgoingRequest, told: (outcome: Outcome) => void): void {
    if (this.stopped) return;
    if ((this.perTarget.get(target) ?? 0) >= this.options.targetQueueLimit) this.drop(this.waiting.findIndex((d) => d.target === target), true);
    if (this.waiting.length >= this.options.queueLimit) this.drop(0, true);
    this.waiting.push({ target, request, told, attempts: 0 });
    this.perTarget.set(target, (this.perTarget.get(target) ?? 0) + 1);
    this.pump();
  }

  /** Drops what waits for a target that is gone. */
  forget(target: string): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.target === target) this.drop(i);
  }

  /** Deliveries not yet ended and not in flight: queued, or waiting to retry. */
  get waitingCount(): number {
    return this.waiting.length + this.due.length + this.timers.size;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.sending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.waiting.length = 0;
    this.due.length = 0;
    // What is in flight is cut: a slow target never holds up the shutdown.
    const http = await this.http?.catch(() => undefined);
    if (http) await Promise.all([http.agent.destroy(), http.publicAgent.destroy()]).catch(() => {});
  }

  private drop(index: number, unsent = false): void {
    if (index < 0) return;
    const [dropped] = this.waiting.splice(index, 1);
    if (unsent) this.counts.dropped++;
    const left = (this.perTarget.get(dropped!.target) ?? 1) - 1;
    if (left > 0) this.perTarget.set(dropped!.target, left);
    else this.perTarget.delete(dropped!.target);
  }

  /** Starts the retries that are due, then the oldest deliveries whose targets are free, while slots are. */
  private pump(): void {
    while (this.due.length && this.sending < this.options.concurrency && !this.stopped) void this.attempt(this.due.shift()!);
    for (let i = 0; i < this.waiting.length && this.sending < this.options.concurrency && !this.stopped; ) {
      const delivery = this.waiting[i]!;
      if (this.busy.has(delivery.target)) {
        i++;
        continue;
      }
      this.drop(i);
      this.busy.add(delivery.target);
      void this.attempt(delivery);
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    this.sending++;
    const { request } = delivery;
    delivery.attempts++;
    let answer: unknown;
    const status = await this.ways()
      .then(({ fetch, agent, publicAgent }) =>
        fetch(request.url, {
          method: 'POST',
          headers: request.headers,
          body: typeof request.body === 'string' ? request.body : new Uint8Array(request.body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
          redirect: 'error',
          dispatcher: request.publicOnly ? publicAgent : agent,
        }),
      )
      .then(
        async (res) => {
          // What a target answers is read only when asked for, and only so much of it.
          if (request.readAnswer && Number(res.headers.get('content-length') ?? 0) <= ANSWER_LIMIT_BYTES) answer = await readJson(res);
          else await res.body?.cancel().catch(() => {});
          return String(res.status);
        },
        (error: Error) => (error.name === 'TimeoutError' ? 'timeout' : `unreachable: ${(error.cause as Error | undefined)?.message ?? error.message}`),
      );
    this.sending--;
    if (this.stopped) return;
    const ok = /^2\d\d$/.test(status);
    const final: Outcome['kind'] | null = ok ? 'delivered' : NOT_RETRIED.has(status) ? 'refused' : delivery.attempts >= this.options.attempts ? 'gave up' : null;
    if (final) {
      this.busy.delete(delivery.target);
      this.counts[final]++;
      try {
        delivery.told({ kind: final, status, attempts: delivery.attempts, ...(answer === undefined ? {} : { answer }) });
      } catch (error) {
        console.error(`Noting a delivery to ${delivery.target} failed:`, (error as Error).message);
      }
    } else {
      // The target keeps its place (what it hears stays in order); the slot goes to others meanwhile.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.due.push(delivery);
        this.pump();
      }, this.options.backoffMs * 2 ** (delivery.attempts - 1));
      timer.unref();
      this.timers.add(timer);
    }
    this.pump();
  }
}

/** A response's body as JSON, read up to ANSWER_LIMIT_BYTES; undefined when it is longer or not JSON. */
async function readJson(res: Response): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let read = 0;
  try {
    for await (const chunk of res.body ?? []) {
      read += chunk.length;
      if (read > ANSWER_LIMIT_BYTES) {
        await res.body?.cancel();
        return undefined;
      }
      chunks.push(chunk);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
