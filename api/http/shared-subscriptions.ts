// Subscriptions share their work. The attention service publishes each change as one object to
// every subscriber; here each distinct operation is executed once per event, and every subscriber
// that asked for it gets that result. yoga's executor ran the whole selection once per subscriber,
// which made delivery to 1000 subscribers 6–7× slower than a plain ws broadcast (`npm run bench`,
// delivery). An envelop plugin: yoga's own hooks (error masking) still wrap what it returns.
import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  Kind,
  visit,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

type MaybePromise<T> = T | Promise<T>;

const resultsByEvent = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();
const perEventVariablesByDocument = new WeakMap<DocumentNode, string[]>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

/**
 * The variables an event's execution can depend on: all but those of the root fields' arguments,
 * which only choose the events (e.g. `after`), so that subscribers who resumed from different
 * places still share.
 */
function perEventVariables(document: DocumentNode): string[] {
  let names = perEventVariablesByDocument.get(document);
  if (!names) {
    const found = new Set<string>();
    const collect = (node: ASTNode) => visit(node, { Variable: (variable) => void found.add(variable.name.value) });
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) collect(definition.selectionSet);
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      for (const selection of definition.selectionSet.selections) {
        if (selection.kind !== Kind.FIELD) collect(selection);
        else {
          selection.directives?.forEach(collect);
          if (selection.selectionSet) collect(selection.selectionSet);
        }
      }
    }
    perEventVariablesByDocument.set(document, (names = [...found].sort()));
  }
  return names;
}

/**
 * Subscriptions with the same key get the same result for the same event. The key holds who asks:
 * one person's result is never handed to another, whatever a field below the root might read.
 */
function operationKey(args: ExecutionArgs): string {
  let id = documentIds.get(args.document);
  if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
  const variables = perEventVariables(args.document).map((name) => args.variableValues?.[name]);
  const principal = (args.contextValue as { principal?: { person: string; scope: string } }).principal;
  return `${principal?.person ?? ''}|${principal?.scope ?? ''}|${id}|${args.operationName ?? ''}|${JSON.stringify(variables)}`;
}

/** Executes once per event object and key: the result is the same for every subscriber with that key. */
async function resultFor(event: unknown, key: string, args: ExecutionArgs): Promise<ExecutionResult> {
  if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
  let results = resultsByEvent.get(event);
  if (!results) resultsByEvent.set(event, (results = new Map()));
  let result = results.get(key);
  if (!result) results.set(key, (result = execute({ ...args, rootValue: event })));
  // A copy each: plugins after this one may set fields on the result they are given.
  return { ...(await result) };
}

async function subscribeShared(args: ExecutionArgs) {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const events = source[Symbol.asyncIterator]();
  const key = operationKey(args);
  const results: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => results,
    next: async () => {
      const next = await events.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: await resultFor(next.value, key, args) };
    },
    return: async () => {
      await events.return?.();
      return { done: true, value: undefined };
    },
    throw: async (error: unknown) => {
      await events.return?.();
      throw error;
    },
  };
  return results;
}

export const useSharedSubscriptions = (): Plugin => ({
  onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribeShared),
});
