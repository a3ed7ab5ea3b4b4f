// Seen, snooze and hide: optimistic in the cache (the item leaves at once), reconciled with the
// server's answer; a refusal or a network failure is shown and the item comes back. An answer to a
// prompt or a question waits for the server (which waits for the agent's hook to receive it): it
// runs code, so nothing is shown as done before it is.
import { useCallback, useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { FeedAction } from './FeedItem.tsx';

// What each action changes on the session; the cache's optimistic answers have the same shape.
graphql(`
  fragment FeedAction_session on Session {
    id
    attention { tier reason label since }
  }
`);

const MarkSeen = graphql(`
  mutation MarkSeen($sessionId: String!) {
    markSeen(sessionId: $sessionId) {
      __typename
      ... on MutationMarkSeenSuccess { data { seenAt ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const Snooze = graphql(`
  mutation Snooze($sessionId: String!, $until: DateTime!) {
    snoozeSession(sessionId: $sessionId, until: $until) {
      __typename
      ... on MutationSnoozeSessionSuccess { data { snoozedUntil ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const Hide = graphql(`
  mutation Hide($sessionId: String!) {
    hideSession(sessionId: $sessionId) {
      __typename
      ... on MutationHideSessionSuccess { data { hidden ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const Answer = graphql(`
  mutation AnswerPermission($input: AnswerPermissionInput!) {
    answerPermission(input: $input) {
      __typename
      ... on MutationAnswerPermissionSuccess { data { pendingPermissions { id } ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const AnswerQuestion = graphql(`
  mutation AnswerQuestion($input: AnswerQuestionInput!) {
    answerQuestion(input: $input) {
      __typename
      ... on MutationAnswerQuestionSuccess { data { pendingPermissions { id } ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const AnswerElicitation = graphql(`
  mutation AnswerElicitation($input: AnswerElicitationInput!) {
    answerElicitation(input: $input) {
      __typename
      ... on MutationAnswerElicitationSuccess { data { pendingPermissions { id } ...FeedAction_session } }
      ... on Error { message }
    }
  }
`);

const VERBS = { seen: 'mark as seen', snooze: 'snooze', hide: 'hide', answer: 'answer', answerQuestion: 'answer', answerElicitation: 'answer' } as const;

/** What went wrong with the last action on a session, said on the item (or above the feed if it has left). */
export interface ActionError {
  sessionId: string;
  message: string;
}

export function useFeedActions() {
  const [, markSeen] = useMutation(MarkSeen);
  const [, snooze] = useMutation(Snooze);
  const [, hide] = useMutation(Hide);
  const [, answerPermission] = useMutation(Answer);
  const [, answerQuestion] = useMutation(AnswerQuestion);
  const [, answerElicitation] = useMutation(AnswerElicitation);
  const [error, setError] = useState<ActionError | null>(null);
  // Sessions with an action waiting for the server's answer: no second action on them meanwhile.
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());

  const perform = useCallback(
    async (sessionId: string, title: string, action: FeedAction) => {
      setError(null);
      setBusy((now) => new Set(now).add(sessionId));
      try {
        const result =
          action.kind === 'seen'
            ? await markSeen({ sessionId })
            : action.kind === 'snooze'
              ? await snooze({ sessionId, until: action.until.toISOString() })
              : action.kind === 'answer'
                ? await answerPermission({ input: { requestId: action.requestId, decision: action.decision, message: action.message, via: 'FEED' } })
                : action.kind === 'answerQuestion'
                  ? await answerQuestion({ input: { requestId: action.requestId, answers: action.answers, via: 'FEED' } })
                  : action.kind === 'answerElicitation'
                    ? await answerElicitation({ input: { requestId: action.requestId, action: action.action, values: action.values, via: 'FEED' } })
                    : await hide({ sessionId });
        const answer = result.data && Object.values(result.data)[0];
        const refusal = answer && 'message' in answer ? answer.message : null;
        const problem = result.error ? result.error.message : refusal;
        if (problem) setError({ sessionId, message: `Could not ${VERBS[action.kind]} "${title}": ${problem}` });
      } finally {
        setBusy((now) => {
          const next = new Set(now);
          next.delete(sessionId);
          return next;
        });
      }
    },
    [markSeen, snooze, hide, answerPermission, answerQuestion, answerElicitation],
  );

  return { perform, busy, error, dismissError: () => setError(null) };
}
