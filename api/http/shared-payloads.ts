// A subscription's result serialized once for every socket it goes to. graphql-ws serializes each
// `next` message whole, per socket: with a thousand pages following, JSON.stringify of the same
// result a thousand times was the largest part of Lookout's own delivery work (`npm run bench
// --profile`, delivery). Here graphql-ws's `onNext` hands it the result wrapped once, its
// `jsonMessageReplacer` puts a placeholder where the payload goes, and the socket's `send` puts the
// serialized result in its place: graphql-ws serializes the message, then sends it, in one go.
import type { ExecutionResult } from 'graphql';

class SerializedResult {
  constructor(readonly json: string) {}
}

const serialized = new WeakMap<object, SerializedResult>();

/** For graphql-ws's `onNext`: the result, serialized once however many sockets it goes to. */
export function serializedOnce(result: ExecutionResult): SerializedResult {
  let once = serialized.get(result);
  if (!once) serialized.set(result, (once = new SerializedResult(JSON.stringify(result))));
  return once;
}

const PLACEHOLDER = '\u0000serialized result';
/** How the placeholder reads in the serialized message: last, as graphql-ws orders a message's fields. */
const PLACEHOLDER_TAIL = `${JSON.stringify(PLACEHOLDER)}}`;
let waiting: string | undefined;

/** For graphql-ws's `jsonMessageReplacer`. */
export function placeholderFor(_key: string, value: unknown): unknown {
  if (!(value instanceof SerializedResult)) return value;
  waiting = value.json;
  return PLACEHOLDER;
}

/** For the socket's `send`: the message graphql-ws just serialized, with the result in its place. */
export function withResult(message: string): string {
  const json = waiting;
  waiting = undefined;
  if (json === undefined || !message.endsWith(PLACEHOLDER_TAIL)) return message;
  return `${message.slice(0, -PLACEHOLDER_TAIL.length)}${json}}`;
}
