// Decision waiters: hooks waiting in this process for the answer to their prompt, and answers given
// here waiting for their hook to say it received them. Both settle on the commits that concern them.
import type { Session } from '../generated/prisma/client.ts';
import { MAX_TIMER_MS } from './clock.ts';
import { type PermissionRequest, requestOf } from './permissions.ts';
import { sessionOfRequest } from '../../shared/hook-wire.ts';

/** How long an answer waits for its hook to say it received it before it is withdrawn. */
const DELIVERY_WAIT_MS = 5_000;

interface DecisionWaiter {
  requestId: string;
  sessionId: string;
  settle(answered: PermissionRequest | null): void;
}

export class DecisionWaiters {
  private readonly waiters = new Set<DecisionWaiter>();
  /** Answers given here, each waiting for its hook to say it received it. */
  private readonly deliveries = new Set<(session: Session) => void>();

  constructor(
    /** Logs that a prompt is no longer answerable from Lookout, so that a later answer is refused rather than lost. */
    private readonly expire: (sessionId: string, requestId: string) => void,
    private readonly deliveryWaitMs = DELIVERY_WAIT_MS,
  ) {}

  /** Hooks waiting in this process for an answer to their prompt. */
  get count(): number {
    return this.waiters.size;
  }

  /**
   * Waits for the answer to `request`, pending in session `sessionId`: the answered request, or null when
   * there will be none from Lookout (answered in the terminal, its time ran out, `gone` aborted).
   */
  wait(sessionId: string, requestId: string, request: PermissionRequest, gone: AbortSignal): Promise<PermissionRequest | null> {
    return new Promise((resolve) => {
      const expire = () => {
        settle(null);
        this.expire(sessionId, requestId);
      };
      const timer = setTimeout(expire, Math.min(Math.max(new Date(request.expiresAt).getTime() - Date.now(), 0), MAX_TIMER_MS));
      const waiter: DecisionWaiter = { requestId, sessionId, settle: (answered) => settle(answered) };
      const settle = (answered: PermissionRequest | null) => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        gone.removeEventListener('abort', expire);
        resolve(answered);
      };
      this.waiters.add(waiter);
      gone.addEventListener('abort', expire, { once: true });
    });
  }

  /** The session once the hook has received the answer to `requestId`; null when it did not in time. */
  awaitDelivery(requestId: string): { promise: Promise<Session | null>; cancel(): void } {
    let settle!: (session: Session | null) => void;
    const promise = new Promise<Session | null>((resolve) => (settle = resolve));
    const hear = (session: Session) => {
      const request = session.id === sessionOfRequest(requestId) ? requestOf(session, requestId) : null;
      if (!request || request.status === 'ANSWERED' || request.status === 'PENDING') return;
      done(request.status === 'DELIVERED' ? session : null);
    };
    const timer = setTimeout(() => done(null), this.deliveryWaitMs);
    const done = (session: Session | null) => {
      clearTimeout(timer);
      this.deliveries.delete(hear);
      settle(session);
    };
    this.deliveries.add(hear);
    return { promise, cancel: () => done(null) };
  }

  /** After a session's change is stored: its waiting hooks get the answer or learn there is none, and its answers' delivery is known. */
  committed(session: Session): void {
    for (const waiter of this.waiters) {
      if (waiter.sessionId !== session.id) continue;
      const request = requestOf(session, waiter.requestId);
      if (request?.status === 'PENDING') continue;
      waiter.settle(request?.status === 'ANSWERED' ? request : null);
    }
    for (const hear of [...this.deliveries]) hear(session);
  }

  /** Lets every waiting hook go with no answer; each prompt is logged as no longer answerable. */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) {
      waiter.settle(null);
      this.expire(waiter.sessionId, waiter.requestId);
    }
  }
}
