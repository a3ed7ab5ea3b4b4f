// Lookout opened: its database, the attention service, notifications and the GraphQL server, all
// but the HTTP listener. `startLookout` (server.ts) serves it; in-process tests drive `yoga.fetch`.
// Everything started is stopped by one `close`, in reverse order, whether opening failed half way or
// the server stops.
import { AttentionService } from '../attention/service.ts';
import type { LookoutConfig } from '../config.ts';
import type { AttentionStore } from '../attention/store.ts';
import { openDatabase } from '../db/database.ts';
import { RefusedHooks } from '../hooks/refused-hooks.ts';
import { SameHostChecks } from '../hooks/same-host.ts';
import { Deliveries, type DeliveryOptions } from '../notify/deliveries.ts';
import { Policies } from '../notify/policies.ts';
import { Push } from '../notify/push.ts';
import { ntfyHosts, pushHosts } from '../notify/push-endpoints.ts';
import { AnswerLinks } from '../notify/answer-links.ts';
import { Channels } from '../notify/channels.ts';
import { ChatPresses } from '../notify/chat-presses.ts';
import { Webhooks } from '../notify/webhooks.ts';
import { Tokens } from '../tokens/tokens.ts';
import { grants } from '../tokens/scopes.ts';
import { OWNER } from '../attention/transitions.ts';
import { FeedAnswers } from './feed-answers.ts';
import { Metrics } from './metrics.ts';
import { Readiness } from './readiness.ts';
import { createLookoutYoga } from './yoga.ts';
import { Insights } from '../insights/insights.ts';

export interface LookoutOptions {
  /** Live events a subscriber may fall behind before it is told to resync. */
  subscriberBuffer?: number;
  /** How webhooks and pushes are sent. */
  deliveries?: DeliveryOptions;
}

export interface OpenLookout {
  store: AttentionStore;
  attention: AttentionService;
  tokens: Tokens;
  yoga: ReturnType<typeof createLookoutYoga>;
  metrics: Metrics;
  feedAnswers: FeedAnswers;
  readiness: Readiness;
  refusedHooks: RefusedHooks;
  sameHost: SameHostChecks;
  links: AnswerLinks;
  chatPresses: ChatPresses;
  /** Stops everything opened, the last first; a second call does nothing. */
  close(): Promise<void>;
}

export async function openLookout(config: LookoutConfig, options: LookoutOptions = {}): Promise<OpenLookout> {
  const started: (() => unknown)[] = [];
  const close = async () => {
    for (const stop of started.reverse().splice(0)) await stop();
  };
  try {
    return { ...(await open(config, options, started)), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function open(config: LookoutConfig, options: LookoutOptions, started: (() => unknown)[]): Promise<Omit<OpenLookout, 'close'>> {
  const { db, tables, store, insights: insightsStore, announcements, problems, close: closeDatabase } = await openDatabase(config.database);
  started.push(closeDatabase);
  const tokens = await Tokens.open(db, tables, announcements);
  started.push(() => tokens.stop());
  const policies = await Policies.open(db, tables, announcements);
  const metrics = new Metrics();
  const attention = new AttentionService(store, {
    observer: metrics,
    staleAfterMs: config.staleAfterMs,
    doneForMs: config.doneForMs,
    escalateAfterMs: config.escalateAfterMs,
    escalateAfterMsOf: (person) => {
      const minutes = policies.of(person).escalateAfterMinutes;
      return minutes === null ? null : minutes * 60_000;
    },
    decisionWaitMs: config.decisionWaitMs,
    retentionMs: config.retentionMs,
    subscriberBuffer: options.subscriberBuffer,
  });
  await attention.start();
  started.push(() => attention.stop());
  // A new escalation time (anyone's, set through any process) changes what is escalated, and when: now.
  started.push(policies.onUpdated(() => attention.reconsider()));
  const sameHost = new SameHostChecks(attention);
  sameHost.start();
  started.push(() => sameHost.stop());
  // "Needs you", sent to chat tools and URLs too, never in the way of a write...
  const deliveries = new Deliveries(options.deliveries);
  // A person's own webhook and channels carry answer links: each one choice, for one person, once.
  const mayAct = (person: string) => person === OWNER || tokens.list().some((token) => token.person === person && !token.revokedAt && grants(token.scope, 'act'));
  const links = await AnswerLinks.open(db, tables, announcements, attention, mayAct);
  const webhooks = await Webhooks.open(db, tables, announcements, policies, config.webhooks, deliveries, { links, publicUrl: config.publicUrl });
  // ...and to every browser and phone that asked for it.
  const push = await Push.open(db, tables, announcements, policies, config.vapidSubject, deliveries, pushHosts(config.pushHosts));
  // ...and to each person's own channels (ntfy, Slack, Telegram), with buttons that answer through answer links.
  const channels = await Channels.open(db, tables, announcements, policies, links, deliveries, {
    publicUrl: config.publicUrl,
    slack: config.slack,
    telegram: config.telegram,
    ntfyHosts: ntfyHosts(config.ntfyHosts),
  });
  // ...whose buttons come back from Slack and Telegram.
  const chatPresses = new ChatPresses(channels, links, deliveries, attention);
  chatPresses.start();
  // Stopped in reverse: no more news or presses, then the deliveries under way end, then their outcomes are written.
  started.push(
    () => Promise.all([webhooks.stop(), push.stop(), channels.stop()]),
    () => deliveries.stop(),
    () => chatPresses.stop(),
    // A prompt closed (answered through any process) closes the messages this one sent; before any
    // news of the same change, which may open another prompt in the same notification.
    attention.onAttentionChange(push.closeAnswered, 'all'),
    attention.onAttentionChange(channels.closeAnswered, 'all'),
    attention.onAttentionChange(webhooks.hear),
    attention.onAttentionChange(push.hear),
    attention.onAttentionChange(channels.hear),
  );
  // The log read into waits as it grows (the leader), for the Insights figures.
  const insights = new Insights(insightsStore, { leads: () => attention.leads, retentionMs: config.retentionMs, ended: metrics.waitEnded });
  started.push(attention.onAttentionChange(insights.heard, 'all'), () => insights.stop());
  // What the log holds already (all of it, the first time after an upgrade), read in the background.
  insights.heard();
  const feedAnswers = new FeedAnswers(() => attention.latestSeq);
  const readiness = new Readiness({ problems, latestSeq: () => store.latestSeq(), lagging: (seq) => attention.lagging(seq) });
  await readiness.start();
  started.push(() => readiness.stop());
  metrics.start(attention, feedAnswers, deliveries, () => readiness.latestSeq);
  const refusedHooks = new RefusedHooks();
  const yoga = createLookoutYoga({ db, attention, insights, tokens, webhooks, policies, push, channels, links, refusedHooks, defaultEscalateAfterMinutes: config.escalateAfterMs / 60_000 }, feedAnswers, metrics.plugin);
  return { store, attention, tokens, yoga, metrics, feedAnswers, readiness, refusedHooks, sameHost, links, chatPresses };
}
