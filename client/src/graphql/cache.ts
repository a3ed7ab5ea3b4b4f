// Graphcache, schema-aware from the introspection codegen emits. The server orders the feed, so any
// change to it invalidates the feed query, which refetches; sessions update in place by id.
import { type Cache, cacheExchange } from '@urql/exchange-graphcache';
import schema from '../gql/introspection.ts';

function invalidateFeed(_result: unknown, _args: unknown, cache: Cache) {
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName === 'attentionSessions') cache.invalidate('Query', field.fieldName, field.arguments);
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
  },
  updates: {
    Subscription: { attentionChanged: invalidateFeed },
    Mutation: { markSeen: invalidateFeed, snoozeSession: invalidateFeed, hideSession: invalidateFeed, unhideSession: invalidateFeed, answerPermission: invalidateFeed },
  },
  optimistic: {
    markSeen: leavesFeed('MutationMarkSeenSuccess', () => ({ seenAt: new Date().toISOString() })),
    snoozeSession: leavesFeed('MutationSnoozeSessionSuccess', (args) => ({ snoozedUntil: args.until })),
    hideSession: leavesFeed('MutationHideSessionSuccess', () => ({ hidden: true })),
  },
});
