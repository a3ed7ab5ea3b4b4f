// The feed's answers, kept serialized until the next change. Tools poll the feed, and it changes
// only when a change is logged, so an answer stays right until `latestSeq` moves. yoga's response
// cache plugin reached only 0.05× a fixed-body server (`npm run bench`, feed): yoga's request
// pipeline runs for every request even on a hit. Here a repeated request is answered before yoga
// from the stored bytes; yoga still answers the first one, with its checks, and every other kind.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type OperationDefinitionNode } from 'graphql';
import { isAsyncIterable, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { readBody } from './read-body.ts';
import type { Principal } from '../tokens/scopes.ts';

const FEED_FIELDS = new Set(['attentionSessions', 'attentionSummary', '__typename']);
const MAX_ANSWERS = 64;

/** Put in yoga's server context for one request: the plugin notes whether its answer can be kept. */
export interface FeedAnswerNote {
  /** The seq the answer reflects, when it holds feed fields only and no errors. */
  seq?: number;
}

interface Answer {
  seq: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function readsOnlyTheFeed(operation: OperationDefinitionNode | null | undefined): boolean {
  return (
    operation?.operation === 'query' &&
    operation.selectionSet.selections.every((selection) => selection.kind === 'Field' && FEED_FIELDS.has(selection.name.value))
  );
}

export class FeedAnswers {
  private readonly answers = new Map<string, Answer>();
  /** Feed queries answered from kept bytes, and executed by yoga: for the metrics. */
  readonly counts = { kept: 0, executed: 0 };

  constructor(private readonly latestSeq: () => number) {}

  /** Notes, for requests that carry a FeedAnswerNote, answers that read the feed at one seq. */
  readonly plugin: Plugin<{ feedAnswer?: FeedAnswerNote }> = {
    onExecute: ({ args }) => {
      const note = args.contextValue.feedAnswer;
      if (!note || !readsOnlyTheFeed(getOperationAST(args.document, args.operationName))) return;
      const seq = this.latestSeq();
      this.counts.executed++;
      return {
        onExecuteDone: ({ result }) => {
          // A change logged while it ran would make it a mix of two moments: not kept.
          if (!isAsyncIterable(result) && !result.errors && this.latestSeq() === seq) note.seq = seq;
        },
      };
    },
  };

  /** Answers `key` from the stored bytes when they are still right; false when yoga must answer. */
  answer(key: string, res: ServerResponse): boolean {
    const answer = this.answers.get(key);
    if (!answer || answer.seq !== this.latestSeq()) return false;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    this.counts.kept++;
    return true;
  }

  keep(key: string, note: FeedAnswerNote, response: Response, body: Buffer): void {
    if (note.seq === undefined || response.status !== 200) return;
    // Oldest first out: a Map iterates in insertion order.
    this.answers.delete(key);
    if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, { seq: note.seq, status: response.status, headers: Object.fromEntries(response.headers), body });
  }
}

/**
 * The key of a POST: everything that shapes yoga's answer, which is what it asks and in which form
 * it wants the answer. Headers that depend on who asks (CORS) are the guard's, added to every
 * answer, kept or not, and never stored with it.
 */
function answerKey(req: IncomingMessage, body: string, principal: Principal): string {
  // Who asks shapes the answer too: what their scope lets them read, and whose sessions.
  return `${principal.person}\n${principal.scope}\n${req.headers.accept ?? ''}\n${req.headers['content-type'] ?? ''}\n${body}`;
}

/** Answers a GraphQL POST that the guard let through: from a kept answer when one is right, else from yoga. */
export function answerPost(yoga: YogaServerInstance<{ feedAnswer?: FeedAnswerNote; principal?: Principal }, object>, feedAnswers: FeedAnswers) {
  return async (req: IncomingMessage, res: ServerResponse, principal?: Principal) => {
    if (!principal) throw new Error('A GraphQL POST reached yoga without a principal.');
    const body = await readBody(req);
    const key = answerKey(req, body, principal);
    if (feedAnswers.answer(key, res)) return;
    const headers = new yoga.fetchAPI.Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const note: FeedAnswerNote = {};
    const response = await yoga.fetch(`http://${req.headers.host}${req.url}`, { method: 'POST', headers, body }, { feedAnswer: note, principal });
    const answer = Buffer.from(await response.arrayBuffer());
    feedAnswers.keep(key, note, response, answer);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(answer);
  };
}
