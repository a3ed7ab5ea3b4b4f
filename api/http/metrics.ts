// GET /metrics, in Prometheus's text format (prom-client): what this process serves and writes,
// how far it is behind the shared log, and whether it leads. Counters the domain keeps itself
// (feed answers, what the attention service did) are read when scraped; the rest is counted here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { WaitKind } from '../insights/waits.ts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttentionService } from '../attention/service.ts';
import type { AttentionObserver } from '../attention/vocabulary.ts';
import type { FeedAnswers } from './feed-answers.ts';
import type { Deliveries } from '../notify/deliveries.ts';

/**
 * The operations Lookout's own clients send (the page, the CLI, the MCP server): the only names a
 * label takes, so that what a client calls its operation cannot grow the series. A test keeps it
 * in step with the clients.
 */
export const KNOWN_OPERATIONS: ReadonlySet<string> = new Set([
  // The page.
  'AddPushDevice', 'AddWebhookFromPage', 'AnswerElicitation', 'AnswerFromNotification', 'AnswerPermission', 'AnswerQuestion', 'AnswerQuestionFromNotification', 'Feed', 'FeedChanged', 'FeedList', 'Hidden', 'Hide', 'MarkSeen',
  'NotificationSettings', 'PushSetup', 'RemovePushDevice', 'RemoveWebhookFromPage', 'SaveNotificationPolicy', 'SetDeviceLooking',
  'Quiet', 'RefusedHooks', 'Snooze', 'Unhide', 'Webhooks', 'MyChannels', 'SetNtfyChannel', 'SetSlackChannel', 'LinkTelegram', 'RemoveChannel', 'Insights', 'InsightWaits',
  // The CLI and its MCP server.
  'Attention', 'Changes',
]);
/** Any other name. */
const OTHER = 'other';
/** A request refused before running: its document is not looked at. */
const INVALID = 'invalid';

const operationLabel = (name: string | undefined) => (name === undefined ? 'anonymous' : KNOWN_OPERATIONS.has(name) ? name : OTHER);

export class Metrics implements AttentionObserver {
  readonly registry = new Registry();
  private readonly operations = new Counter({
    name: 'lookout_graphql_operations_total',
    help: "GraphQL operations, by operation name (Lookout's own clients' names; other, anonymous, or invalid: refused before running), type and outcome (ok, error, invalid); subscriptions count once, when they start.",
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly hookRequests = new Counter({
    name: 'lookout_hook_requests_total',
    help: "Agents' hook requests, by agent and HTTP status.",
    labelNames: ['agent', 'status'] as const,
    registers: [this.registry],
  });
  private readonly hookSeconds = new Histogram({
    name: 'lookout_hook_request_seconds',
    help: "How long a hook request took to answer (a permission prompt's wait for an answer excluded: it has its own route).",
    labelNames: ['agent'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly batchSizes = new Histogram({
    name: 'lookout_write_batch_entries',
    help: 'Log entries stored per write (reports that arrive together share one transaction).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  private readonly writtenEntries = new Counter({ name: 'lookout_events_written_total', help: 'Log entries this process stored.', registers: [this.registry] });
  private readonly deliveredChanges = new Counter({
    name: 'lookout_events_delivered_total',
    help: "Changes handed to this process's feed streams (one per stream).",
    registers: [this.registry],
  });
  private readonly replays = new Counter({ name: 'lookout_replays_total', help: 'Feed streams that resumed from a seq by replaying the log.', registers: [this.registry] });
  private readonly conflicts = new Counter({
    name: 'lookout_write_conflicts_total',
    help: 'Writes that found another process had written first to one of their sessions, and were planned again after reading it (several replicas writing at once).',
    registers: [this.registry],
  });
  private readonly waitSeconds = new Histogram({
    name: 'lookout_wait_seconds',
    help: 'How long a session waited on its person before the need ended (answered, or otherwise), by what it waited for; counted by the leading process as it reads the log.',
    labelNames: ['kind'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200],
    registers: [this.registry],
  });
  private readonly resyncs = new Counter({ name: 'lookout_resyncs_total', help: 'Feed streams told to refetch (fell too far behind, or asked from before what is kept).', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the rest when scraped; `latestSeq` is the shared log's newest seq as last read (scrapes never wait for the database). */
  start(attention: AttentionService, feedAnswers: FeedAnswers, deliveries: Deliveries, latestSeq: () => number): void {
    const ended = new Counter({
      name: 'lookout_deliveries_total',
      help: 'Webhook and push deliveries this process ended, by outcome (delivered, refused, gave up), or dropped unsent because the queue was full.',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        ended.reset();
        for (const [outcome, count] of Object.entries(deliveries.counts)) ended.inc({ outcome }, count);
      },
    });
    this.gauge('lookout_deliveries_waiting', 'Webhook and push deliveries queued or waiting to retry.', () => deliveries.waitingCount);
    this.gauge('lookout_deliveries_in_flight', 'Webhook and push requests in flight.', () => deliveries.inFlight);
    this.gauge('lookout_subscribers', 'Feed streams listening live in this process.', () => attention.subscriberCount);
    const answers = new Counter({
      name: 'lookout_feed_answers_total',
      help: 'Feed queries answered from a kept answer (memory) or executed.',
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        answers.reset();
        answers.inc({ source: 'memory' }, feedAnswers.counts.kept);
        answers.inc({ source: 'executed' }, feedAnswers.counts.executed);
      },
    });
    this.gauge('lookout_replica_lag_entries', "How many log entries this process has yet to read (written by other processes).", () => Math.max(0, latestSeq() - attention.latestSeq));
    this.gauge('lookout_leader', '1 when this process applies time-driven changes and prunes the log.', () => (attention.leads ? 1 : 0));
  }

  /** A gauge read when scraped. */
  private gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  wrote(entries: number): void {
    this.writtenEntries.inc(entries);
    this.batchSizes.observe(entries);
  }

  delivered(streams: number): void {
    this.deliveredChanges.inc(streams);
  }

  replayed(): void {
    this.replays.inc();
  }

  resynced(): void {
    this.resyncs.inc();
  }

  /** A wait ended, after `seconds`. */
  readonly waitEnded = (kind: WaitKind, seconds: number): void => {
    this.waitSeconds.observe({ kind }, seconds);
  };

  conflicted(): void {
    this.conflicts.inc();
  }

  /** Counts every GraphQL operation by name and outcome. */
  readonly plugin: Plugin = {
    onValidate: ({ params }) => {
      return ({ valid }) => {
        if (valid) return;
        const type = getOperationAST(params.documentAST, undefined)?.operation ?? 'query';
        this.operations.inc({ operation: INVALID, type, outcome: 'invalid' });
      };
    },
    onExecute: ({ args }) => {
      const definition = getOperationAST(args.document, args.operationName);
      const operation = operationLabel(definition?.name?.value);
      const type = definition?.operation ?? 'query';
      return {
        onExecuteDone: ({ result }) => {
          const outcome = 'errors' in result && result.errors?.length ? 'error' : 'ok';
          this.operations.inc({ operation, type, outcome });
        },
      };
    },
    onSubscribe: ({ args }) => {
      const operation = operationLabel(getOperationAST(args.document, args.operationName)?.name?.value);
      this.operations.inc({ operation, type: 'subscription', outcome: 'ok' });
    },
  };

  /** Times a hook route's answers. */
  timeHook<T extends unknown[]>(agent: string, handle: (req: IncomingMessage, res: ServerResponse, ...rest: T) => unknown) {
    return async (req: IncomingMessage, res: ServerResponse, ...rest: T) => {
      const end = this.hookSeconds.startTimer({ agent });
      res.once('finish', () => {
        end();
        this.hookRequests.inc({ agent, status: String(res.statusCode) });
      });
      await handle(req, res, ...rest);
    };
  }

  /** GET /metrics. */
  async answer(res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  }
}
