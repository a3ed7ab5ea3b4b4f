// A result serialized once reads, on every socket, as graphql-ws's own message would: through
// graphql-ws's real protocol (`makeServer`), with and without it, for any id a client chooses.
import { GraphQLError } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeServer, type ServerOptions } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { placeholderFor, serializedOnce, withResult } from './shared-payloads.ts';

const schema = createSchema({
  typeDefs: 'type Query { ok: Boolean } type Subscription { news: News } type News { title: String broken: String }',
  resolvers: {
    Subscription: {
      news: {
        subscribe: async function* () {
          yield { news: { title: 'Plan ready "quoted" \u2028 ✓' } };
          yield { news: { title: 'second' } };
        },
      },
    },
    News: { broken: () => Promise.reject(new GraphQLError('Not here.', { extensions: { code: 'GONE' } })) },
  },
});

/** Every message one connection is sent for one subscription with this id, as text. */
async function messagesFor(id: string, options: Partial<ServerOptions>, send: (data: string) => string = (data) => data) {
  const server = makeServer({ schema, ...options });
  const sent: string[] = [];
  let received: (data: string) => Promise<void> = async () => {};
  let completed!: () => void;
  const done = new Promise<void>((resolve) => (completed = resolve));
  server.opened(
    {
      protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
      send: (data) => {
        const message = send(data);
        sent.push(message);
        if (JSON.parse(message).type === 'complete') completed();
      },
      close: () => {},
      onMessage: (cb) => void (received = cb),
    },
    {},
  );
  await received(JSON.stringify({ type: 'connection_init' }));
  await received(JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { news { title broken } }' } }));
  await done;
  return sent;
}

describe('a result serialized once', () => {
  it("reads as graphql-ws's own message, errors included, whatever id the client chose", async () => {
    for (const id of ['1', 'c0ffee-0001', '\u0000serialized result', '"}']) {
      const own = await messagesFor(id, {});
      const once = await messagesFor(id, { onNext: (_ctx, _id, _payload, _args, result) => serializedOnce(result) as never, jsonMessageReplacer: placeholderFor }, withResult);
      expect(once.map((m) => JSON.parse(m))).toEqual(own.map((m) => JSON.parse(m)));
      expect(once.filter((m) => JSON.parse(m).type === 'next')).toHaveLength(2);
    }
  });

  it('is serialized once for every socket it goes to', () => {
    const result = Object.freeze({ data: { news: { title: 'x' } } });
    expect(serializedOnce(result)).toBe(serializedOnce(result));
    expect(serializedOnce(result).json).toBe('{"data":{"news":{"title":"x"}}}');
  });

  it('leaves a message without a placeholder as it is, also after a serialization that failed', () => {
    expect(() => JSON.stringify({ payload: serializedOnce({ data: {} }), n: 1n }, placeholderFor)).toThrow();
    const other = JSON.stringify({ id: '1', type: 'complete' });
    expect(withResult(other)).toBe(other);
  });
});

