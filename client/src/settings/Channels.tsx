// Where the person's own prompts go besides this page and their devices: an ntfy topic, Slack, a
// Telegram chat. Each gets a button per choice that answers the prompt from there.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ChannelKind } from '../gql/graphql.ts';

const ChannelsQuery = graphql(`
  query MyChannels {
    myChannels { kind address verified lastStatus }
    availableChannels
  }
`);

const SetNtfy = graphql(`
  mutation SetNtfyChannel($topicUrl: String!) {
    setNtfyChannel(topicUrl: $topicUrl) { __typename ... on Error { message } }
  }
`);

const SetSlack = graphql(`
  mutation SetSlackChannel($memberId: String!) {
    setSlackChannel(memberId: $memberId) { __typename ... on Error { message } }
  }
`);

const LinkTelegram = graphql(`
  mutation LinkTelegram {
    linkTelegram { __typename ... on MutationLinkTelegramSuccess { data { command url expiresAt } } ... on Error { message } }
  }
`);

const RemoveChannel = graphql(`
  mutation RemoveChannel($kind: ChannelKind!) {
    removeChannel(kind: $kind) { __typename }
  }
`);

const NAMES: Record<ChannelKind, string> = { NTFY: 'ntfy', SLACK: 'Slack', TELEGRAM: 'Telegram' };

export function Channels({ offline }: { offline: boolean }) {
  const [{ data }, refetch] = useQuery({ query: ChannelsQuery, requestPolicy: 'network-only' });
  const [, remove] = useMutation(RemoveChannel);
  const [, setNtfy] = useMutation(SetNtfy);
  const [, setSlack] = useMutation(SetSlack);
  const [, linkTelegram] = useMutation(LinkTelegram);
  const [topic, setTopic] = useState('');
  const [member, setMember] = useState('');
  const [status, setStatus] = useState('');
  const [telegram, setTelegram] = useState<{ command: string; url?: string | null } | null>(null);
  if (!data) return null;
  const available = new Set(data.availableChannels);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const saved = (answer: { __typename: string; message?: string } | undefined, error: { message: string } | undefined, done: string) => {
    setStatus(error?.message ?? (answer && 'message' in answer && answer.message ? answer.message : done));
    reload();
  };

  return (
    <section className="channels">
      <h3>Your channels</h3>
      <p className="where">Your prompts go here too, under the policy above, with a button per answer: allow, deny, or a question's options.</p>
      <ul className="plain">
        {data.myChannels.map((c) => (
          <li key={c.kind}>
            {NAMES[c.kind]} <span className="url">{c.address}</span>{' '}
            <span className="where">{!c.verified ? 'waiting for you to confirm it there' : c.lastStatus ? `last: ${c.lastStatus}` : 'nothing sent yet'}</span>{' '}
            <button
              type="button"
              disabled={offline}
              onClick={async () => {
                await remove({ kind: c.kind });
                reload();
              }}
            >
              Stop sending to {NAMES[c.kind]}
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={async (event: FormEvent) => {
          event.preventDefault();
          const result = await setNtfy({ topicUrl: topic });
          saved(result.data?.setNtfyChannel, result.error, 'ntfy set: subscribe to that topic in the ntfy app.');
        }}
      >
        <label>
          ntfy topic <input type="url" required value={topic} onChange={(e) => setTopic(e.target.value)} placeholder="https://ntfy.sh/a-topic-only-you-know" />
        </label>{' '}
        <button type="submit" disabled={offline}>
          Send my prompts there
        </button>
      </form>
      {available.has('SLACK') ? (
        <form
          onSubmit={async (event: FormEvent) => {
            event.preventDefault();
            const result = await setSlack({ memberId: member });
            saved(result.data?.setSlackChannel, result.error, 'Slack: press “Yes, this is me” in the message Lookout just sent you there.');
          }}
        >
          <label>
            Slack member id <input required value={member} onChange={(e) => setMember(e.target.value)} placeholder="U012AB3CD" />
          </label>{' '}
          <button type="submit" disabled={offline}>
            Send my prompts to Slack
          </button>
        </form>
      ) : null}
      {available.has('TELEGRAM') ? (
        <p>
          <button
            type="button"
            disabled={offline}
            onClick={async () => {
              const result = await linkTelegram({});
              const answer = result.data?.linkTelegram;
              if (answer?.__typename === 'MutationLinkTelegramSuccess') setTelegram(answer.data);
              else setStatus(result.error?.message ?? (answer && 'message' in answer ? answer.message : ''));
            }}
          >
            Link a Telegram chat
          </button>{' '}
          {telegram ? (
            <span>
              Send <code>{telegram.command}</code> to the bot within 15 minutes{telegram.url ? <>, or <a href={telegram.url}>open it in Telegram</a></> : null}.
            </span>
          ) : null}
        </p>
      ) : null}
      <p role="status">{status}</p>
    </section>
  );
}
