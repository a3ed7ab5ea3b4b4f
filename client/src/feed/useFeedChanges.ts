// Follows the feed live: subscribes after the log position the feed was loaded at, and after a
// reconnect resubscribes after the last change it saw, so nothing is missed or counted twice.
import { useEffect, useRef, useState } from 'react';
import { useSubscription } from 'urql';
import { graphql } from '../gql';
import type { FeedChangedSubscription } from '../gql/graphql.ts';
import type { ConnectionStore } from '../graphql/connection.ts';

const FeedChanged = graphql(`
  subscription FeedChanged($after: Int, $project: String) {
    attentionChanged(after: $after, project: $project) {
      __typename
      ... on AttentionChange {
        seq
        session { id title project ...FeedItem_session }
        attention { tier reason label detail since escalated }
        previous { tier escalated }
      }
      ... on FeedResyncRequired { latestSeq }
    }
  }
`);

export type FeedChange = Extract<FeedChangedSubscription['attentionChanged'], { __typename: 'AttentionChange' }>;

interface Options {
  /** The log position of the feed as loaded; null until it is. */
  loadedSeq: number | null;
  connection: ConnectionStore;
  /** A session entered "Needs you", or has needed you so long that it is escalated. */
  onNeedsYou(change: FeedChange): void;
}

export function useFeedChanges({ loadedSeq, connection, onNeedsYou }: Options) {
  const lastSeq = useRef<number | null>(null);
  const [after, setAfter] = useState<number | null>(null);

  useEffect(() => {
    if (loadedSeq !== null && lastSeq.current === null) {
      lastSeq.current = loadedSeq;
      setAfter(loadedSeq);
    }
  }, [loadedSeq]);
  useEffect(() => connection.onReconnect(() => setAfter(lastSeq.current)), [connection]);

  // Every change to the person's feed, whichever project the page shows: the cache keeps each list.
  useSubscription({ query: FeedChanged, variables: { after, project: null }, pause: after === null }, (_previous, event) => {
    const change = event.attentionChanged;
    if (change.__typename === 'FeedResyncRequired') {
      lastSeq.current = change.latestSeq; // the cache refetches the feed: it cannot have what it missed
    } else if (change.__typename === 'AttentionChange' && change.seq > (lastSeq.current ?? -1)) {
      lastSeq.current = change.seq;
      const entered = change.attention?.tier === 'NEEDS_YOU' && change.previous?.tier !== 'NEEDS_YOU';
      const escalated = change.attention?.escalated === true && change.previous?.escalated !== true;
      if (entered || escalated) onNeedsYou(change);
    }
    return event;
  });
}
