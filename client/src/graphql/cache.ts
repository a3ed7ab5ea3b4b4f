// Graphcache, schema-aware from the introspection codegen emits. A live change is applied to the
// cached feed lists where it is (the session leaves, enters or moves, in the server's order), so
// the page never refetches the feed for it; only a resync (changes it cannot have) refetches.
import { type Cache, cacheExchange } from '@urql/exchange-graphcache';
import { inFeedOrder } from '../../../shared/feed-order.ts';
import { graphql } from '../gql';
import type { AttentionReason, AttentionTier, FeedChangedSubscription } from '../gql/graphql.ts';
import schema from '../gql/introspection.ts';

/** What of a cached feed list the order needs: each session's id and attention. */
const FeedList = graphql(`
  query FeedList($project: String) {
    attentionSessions(project: $project) {
      latestSeq
      edges { __typename node { __typename id project attention { __typename tier reason since } } }
    }
  }
`);

/** The feed lists the page has: all projects, or one. A list cached with other arguments is refetched instead. */
const feedLists = (cache: Cache) => cache.inspectFields('Query').filter((field) => field.fieldName === 'attentionSessions');
const patchable = (args: Record<string, unknown> | null) => Object.keys(args ?? {}).every((name) => name === 'project');

function refetchFeed(_result: unknown, _args: unknown, cache: Cache) {
  for (const field of feedLists(cache)) cache.invalidate('Query', field.fieldName, field.arguments);
}

type Order = { tier: AttentionTier; reason: AttentionReason; since: string };
const byFeedOrder = (a: { id: string; attention?: Order | null }, b: { id: string; attention?: Order | null }) =>
  inFeedOrder(a.id, { ...a.attention!, since: new Date(a.attention!.since) }, b.id, { ...b.attention!, since: new Date(b.attention!.since) });

/** A change from the live feed: the session leaves each list, and enters it again where it belongs now. */
function applyChange(result: FeedChangedSubscription, _args: unknown, cache: Cache) {
  const change = result.attentionChanged;
  if (change.__typename === 'FeedResyncRequired') return refetchFeed(result, _args, cache);
  if (change.__typename !== 'AttentionChange') return;
  // The session as it is now (its fields were just written from the change itself).
  const session = cache.readFragment(
    graphql(`fragment FeedListEntry on Session { __typename id project attention { __typename tier reason since } }`),
    { __typename: 'Session', id: change.session.id },
  );
  if (!session) return;
  for (const field of feedLists(cache)) {
    if (!patchable(field.arguments)) {
      cache.invalidate('Query', field.fieldName, field.arguments);
      continue;
    }
    const project = (field.arguments?.project as string | null | undefined) ?? null;
    cache.updateQuery({ query: FeedList, variables: field.arguments ?? {} }, (data) => {
      if (!data) return data;
      const { attentionSessions: list } = data;
      const edges = list.edges.filter((edge) => edge.node.id !== session.id);
      if (session.attention && (!project || session.project === project)) {
        const at = edges.findIndex((edge) => byFeedOrder(session, edge.node) < 0);
        edges.splice(at === -1 ? edges.length : at, 0, { __typename: 'QueryAttentionSessionsConnectionEdge', node: session });
      }
      return { ...data, attentionSessions: { ...list, latestSeq: Math.max(list.latestSeq, change.seq), edges } };
    });
  }
}

/** What a feed action looks like at once: the session leaves the feed until the server answers. */
const leavesFeed =
  (successType: string, extra: (args: Record<string, unknown>) => Record<string, unknown> = () => ({})) =>
  (args: Record<string, unknown>) => ({
    __typename: successType,
    data: { __typename: 'Session', id: args.sessionId, attention: null, ...extra(args) },
  });

// Types without an id of their own are stored inside their parent.
const embedded = () => null;

export const lookoutCache = cacheExchange({
  schema,
  keys: {
    Attention: embedded,
    AttentionChange: embedded,
    AttentionSummary: embedded,
    FeedResyncRequired: embedded,
    InputValidationError: embedded,
    InputValidationIssue: embedded,
    NotInFeedError: embedded,
    PageInfo: embedded,
    SessionNotFoundError: embedded,
    SessionEvent: (event) => String(event.seq),
    MutationMarkSeenSuccess: embedded,
    MutationSnoozeSessionSuccess: embedded,
    MutationHideSessionSuccess: embedded,
    MutationAnswerPermissionSuccess: embedded,
    MutationUnhideSessionSuccess: embedded,
    QuerySessionsConnection: embedded,
    QuerySessionsConnectionEdge: embedded,
    // One per person, and the person is who asks.
    NotificationPolicy: () => 'mine',
    PendingPermission: embedded,
    PermissionAlreadyAnsweredError: embedded,
    PermissionExpiredError: embedded,
    CannotAlwaysAllowError: embedded,
    QueryAttentionSessionsConnection: embedded,
    QueryAttentionSessionsConnectionEdge: embedded,
    PushDevice: (device) => String(device.endpoint),
    PushDeviceNotFoundError: embedded,
    MutationAddPushDeviceSuccess: embedded,
    MutationRemovePushDeviceSuccess: embedded,
    MutationSetDeviceLookingSuccess: embedded,
    MutationSetNotificationPolicySuccess: embedded,
    MutationAddWebhookSuccess: embedded,
    MutationRemoveWebhookSuccess: embedded,
    WebhookNotFoundError: embedded,
  },
  // An action's own change comes back through the live feed, like anyone else's.
  updates: { Subscription: { attentionChanged: applyChange } },
  optimistic: {
    markSeen: leavesFeed('MutationMarkSeenSuccess', () => ({ seenAt: new Date().toISOString() })),
    snoozeSession: leavesFeed('MutationSnoozeSessionSuccess', (args) => ({ snoozedUntil: args.until })),
    hideSession: leavesFeed('MutationHideSessionSuccess', () => ({ hidden: true })),
  },
});
