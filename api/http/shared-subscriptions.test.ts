// The shared subscriptions, in-process through yoga.fetch (server-sent events): one execution per
// event for everyone who asked the same, and errors masked as yoga masks them, once per event.
import { createSchema, createYoga } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useSharedSubscriptions } from './shared-subscriptions.ts';

interface Tick {
  n: number;
}

/** A subscription whose events the test publishes; `listeners` is the signal that a subscriber is in. */
function harness() {
  const listeners = new Set<(tick: Tick | Error) => void>();
  let executions = 0;
  const logged: unknown[] = [];
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Tick { n: Int! secret: String shown: String }
      type Subscription { ticks: Tick! refused: Tick! }
    `,
    resolvers: {
      Subscription: {
        ticks: {
          subscribe: async function* () {
            const queue: (Tick | Error)[] = [];
            let wake = () => {};
            const listener = (tick: Tick | Error) => {
              queue.push(tick);
              wake();
            };
            listeners.add(listener);
            try {
              for (;;) {
                while (queue.length) {
                  const next = queue.shift()!;
                  if (next instanceof Error) throw next;
                  yield next;
                }
                await new Promise<void>((resolve) => (wake = resolve));
              }
            } finally {
              listeners.delete(listener);
            }
          },
          resolve: (tick: Tick) => {
            executions++;
            return tick;
          },
        },
        refused: {
          subscribe: () => {
            throw new Error('connect ECONNREFUSED /var/run/secret.sock');
          },
        },
      },
      Tick: {
        secret: ({ n }: Tick) => {
          if (n === 2) throw new Error('SQLITE_CORRUPT at /srv/lookout/data.db');
          return 'fine';
        },
        shown: ({ n }: Tick) => {
          if (n === 2) throw new GraphQLError('Shown as it is.', { extensions: { code: 'BAD_USER_INPUT' } });
          return 'fine';
        },
      },
    },
  });
  const yoga = createYoga({
    schema,
    maskedErrors: { errorMessage: 'Unexpected error.' },
    logging: { debug: () => {}, info: () => {}, warn: () => {}, error: (...args: unknown[]) => logged.push(args[0]) },
    plugins: [useSharedSubscriptions('Unexpected error.')],
  });
  return { yoga, listeners, logged, executions: () => executions };
}

/** A subscription over server-sent events: its events as they come. */
async function subscribe(yoga: ReturnType<typeof harness>['yoga'], query: string) {
  const response = await yoga.fetch('http://lookout.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  return {
    async next(): Promise<any> {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data:'));
          const event = block.split('\n').find((line) => line.startsWith('event:'));
          if (event === 'event: complete') return 'complete';
          if (data) return JSON.parse(data.slice(5));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return 'closed';
        buffered += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

async function untilListening(listeners: Set<unknown>, count: number) {
  while (listeners.size < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('shared subscriptions', () => {
  it('execute an event once for every subscriber who asked the same', async () => {
    const { yoga, listeners, executions } = harness();
    const a = await subscribe(yoga, 'subscription { ticks { n } }');
    const b = await subscribe(yoga, 'subscription { ticks { n } }');
    await untilListening(listeners, 2);
    const tick = { n: 1 };
    for (const listener of listeners) listener(tick);
    expect(await a.next()).toEqual({ data: { ticks: { n: 1 } } });
    expect(await b.next()).toEqual({ data: { ticks: { n: 1 } } });
    expect(executions()).toBe(1);
    await Promise.all([a.cancel(), b.cancel()]);
  });

  it("mask an event's unexpected errors as yoga does, and show the schema's own", async () => {
    const { yoga, listeners, logged } = harness();
    const a = await subscribe(yoga, 'subscription { ticks { n secret shown } }');
    await untilListening(listeners, 1);
    for (const listener of listeners) listener({ n: 2 });
    const event = await a.next();
    expect(event.data).toEqual({ ticks: { n: 2, secret: null, shown: null } });
    expect(event.errors.map((e: GraphQLError) => e.message).sort()).toEqual(['Shown as it is.', 'Unexpected error.']);
    expect(JSON.stringify(event)).not.toMatch(/SQLITE|\/srv/);
    expect(logged).toEqual([expect.objectContaining({ message: 'SQLITE_CORRUPT at /srv/lookout/data.db' })]);
    await a.cancel();
  });

  it("mask an error of the stream itself, and of starting it", async () => {
    const { yoga, listeners } = harness();
    const a = await subscribe(yoga, 'subscription { ticks { n } }');
    await untilListening(listeners, 1);
    for (const listener of listeners) listener(new Error('disk I/O error at /srv/lookout/data.db'));
    const failed = await a.next();
    expect(failed.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
    expect(JSON.stringify(failed)).not.toMatch(/disk|\/srv/);

    const refused = await subscribe(yoga, 'subscription { refused { n } }');
    const answer = await refused.next();
    expect(answer.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
    expect(JSON.stringify(answer)).not.toMatch(/ECONNREFUSED|secret/);
  });
});
