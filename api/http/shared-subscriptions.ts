// Subscriptions share their work. The attention service publishes each change as one object to
// every subscriber; here each distinct operation is executed once per event, and every subscriber
// that asked for it gets that result. yoga's executor ran the whole selection once per subscriber,
// which made delivery to 1000 subscribers 6–7× slower than a plain ws broadcast (`npm run bench`,
// delivery).
//
// An envelop plugin, and the last of the subscribe hooks: it subscribes itself and ends the hooks
// there. yoga's error masking, which would come after it, wrapped each subscriber's stream in two
// async iterators of its own (3 KiB of heap per subscriber, most of what a subscription cost): here
// an event's shared result is masked once, with yoga's own `maskError`, and so is any error of the
// stream. Plugins with subscribe hooks (the scopes' refusal, the metrics) go before it.
import {
  type ASTNode,
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  Kind,
  visit,
} from 'graphql';
import { isAsyncIterable, maskError, type Plugin, type YogaLogger } from 'graphql-yoga';

const resultsByEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
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

/** Errors as yoga shows them: its own messages and the schema's errors as they are, anything else as "Unexpected error.". */
export type ErrorMask = (error: unknown) => Error;

const masked = (result: ExecutionResult, mask: ErrorMask): ExecutionResult =>
  result.errors ? { ...result, errors: result.errors.map((error) => mask(error) as GraphQLError) } : result;

/** Executes once per event object and key: the result is the same for every subscriber with that key. */
async function resultFor(event: unknown, key: string, args: ExecutionArgs, mask: ErrorMask): Promise<ExecutionResult> {
  const executed = async () => masked(await execute({ ...args, rootValue: event }), mask);
  if (typeof event !== 'object' || event === null) return executed();
  let results = resultsByEvent.get(event);
  if (!results) resultsByEvent.set(event, (results = new Map()));
  let result = results.get(key);
  if (!result) results.set(key, (result = executed().then(Object.freeze)));
  // The same object for everyone (frozen: no one may change another's), serialized once for them all.
  return result;
}

/**
 * One subscriber's results: its events, each as the shared result for its key. A class with
 * promise chains rather than an object of async closures: a waiting subscriber holds no suspended
 * function of its own here, only what its stream holds (heap per subscriber, `npm run bench`, delivery).
 */
class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly events: AsyncIterator<unknown>,
    private readonly key: string,
    private readonly args: ExecutionArgs,
    private readonly mask: ErrorMask,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.events.next().then(
      (next) => (next.done ? { done: true, value: undefined } : resultFor(next.value, this.key, this.args, this.mask).then((value) => ({ done: false, value }))),
      (error: unknown) => {
        // A cancelled request's abort goes through as it is, as yoga lets it.
        throw (error as Error)?.name === 'AbortError' ? error : this.mask(error);
      },
    );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.events.return?.();
    throw error;
  }
}

async function subscribeShared(args: ExecutionArgs, mask: ErrorMask): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  let source: Awaited<ReturnType<typeof createSourceEventStream>>;
  try {
    source = await createSourceEventStream(args);
  } catch (error) {
    return { errors: [mask(error) as GraphQLError] };
  }
  if (!isAsyncIterable(source)) return masked(source, mask);
  return new SharedResults(source[Symbol.asyncIterator](), operationKey(args), args, mask);
}

/** `message`: what an unexpected error says (yoga's `maskedErrors.errorMessage`). */
export function useSharedSubscriptions(message: string): Plugin {
  let logger: YogaLogger | undefined;
  const mask: ErrorMask = (error) => {
    const shown = maskError(error, message);
    // As yoga does: an error masked is an error the server should hear of.
    if (shown !== error) logger?.error(error);
    return shown;
  };
  return {
    onYogaInit: ({ yoga }) => void (logger = yoga.logger),
    onSubscribe: ({ args, setResultAndStopExecution }) => setResultAndStopExecution(subscribeShared(args, mask) as never),
  };
}
