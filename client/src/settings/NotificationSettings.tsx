// Where the user says how much reaches them outside the page, on which devices, and (an admin)
// which chat tools hear it: the server keeps it all, so every device shows and follows the same.
import { type FormEvent, useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { NotificationSettingsQuery, NotifyMode, WebhookFormat } from '../gql/graphql.ts';
import type { usePush } from '../push/usePush.ts';
import { Channels } from './Channels.tsx';

const SettingsQuery = graphql(`
  query NotificationSettings {
    notificationPolicy { mode mutedProjects quietFrom quietUntil timeZone escalateAfterMinutes }
    pushDevices { endpoint label lastStatus lastSuccessAt }
  }
`);

const WebhooksQuery = graphql(`
  query Webhooks {
    webhooks { id url format signed onlyEscalations fromEnvironment lastStatus lastAttemptAt }
  }
`);

const SavePolicy = graphql(`
  mutation SaveNotificationPolicy($mode: NotifyMode!, $mutedProjects: [String!], $quietFrom: Int, $quietUntil: Int, $timeZone: String, $escalateAfterMinutes: Int) {
    setNotificationPolicy(mode: $mode, mutedProjects: $mutedProjects, quietFrom: $quietFrom, quietUntil: $quietUntil, timeZone: $timeZone, escalateAfterMinutes: $escalateAfterMinutes) {
      __typename
      ... on InputValidationError { issues { message path } }
    }
  }
`);

const AddWebhook = graphql(`
  mutation AddWebhookFromPage($url: String!, $format: WebhookFormat!, $secret: String, $onlyEscalations: Boolean) {
    addWebhook(url: $url, format: $format, secret: $secret, onlyEscalations: $onlyEscalations) {
      __typename
      ... on InputValidationError { issues { message path } }
    }
  }
`);

const RemoveWebhook = graphql(`
  mutation RemoveWebhookFromPage($id: ID!) {
    removeWebhook(id: $id) { __typename }
  }
`);

const MODES: { mode: NotifyMode; label: string }[] = [
  { mode: 'QUIET', label: 'Quiet: waits and failures only' },
  { mode: 'NORMAL', label: 'Normal: everything that needs you' },
  { mode: 'ALL', label: 'All: also what just finished or went quiet' },
];

const FORMATS: WebhookFormat[] = ['SLACK', 'DISCORD', 'NTFY', 'JSON'];

const asTime = (minutes: number | null | undefined) => (minutes === null || minutes === undefined ? '' : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`);
const asMinutes = (time: string) => (time ? Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5)) : null);
const problemOf = (answer: { __typename: string; issues?: { message: string }[] } | undefined, error?: { message: string }) =>
  error?.message ?? (answer?.issues ? answer.issues.map((i) => i.message).join('; ') : null);

export function NotificationSettings({ projects, push, offline }: { projects: string[]; push: ReturnType<typeof usePush>; offline: boolean }) {
  const [open, setOpen] = useState(false);
  const [{ data }, refetch] = useQuery({ query: SettingsQuery, pause: !open, requestPolicy: 'network-only' });
  const [webhooks, refetchWebhooks] = useQuery({ query: WebhooksQuery, pause: !open, requestPolicy: 'network-only' });
  const [, removeWebhook] = useMutation(RemoveWebhook);
  const thisDevice = push.state.kind === 'on' ? push.state.endpoint : null;
  // Only an admin may see webhooks: anyone else's answer is a refusal, and the part stays out.
  const admin = !!webhooks.data;

  return (
    <details className="settings" onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}>
      <summary>Notifications</summary>
      {data ? <PolicyForm key={JSON.stringify(data.notificationPolicy)} policy={data.notificationPolicy} projects={projects} offline={offline} /> : null}

      <h3>Your devices</h3>
      {data && data.pushDevices.length === 0 ? (
        <p className="empty">
          {push.state.kind === 'blocked'
            ? 'No device is notified, and this browser blocks notifications from this page: allow them in its site settings, then use "Notify me" at the top.'
            : push.state.kind === 'unsupported'
              ? 'No device is notified, and this browser cannot be: open Lookout in one that can, or on your phone.'
              : 'No device is notified. Use "Notify me" at the top on each browser or phone you want to hear from Lookout.'}
        </p>
      ) : null}
      <ul className="plain">
        {data?.pushDevices.map((d) => (
          <li key={d.endpoint}>
            {d.label}
            {d.endpoint === thisDevice ? ' (this device)' : ''} <span className="where">{d.lastStatus ? `last push: ${d.lastStatus}` : 'nothing pushed yet'}</span>{' '}
            <button
              type="button"
              disabled={offline}
              onClick={async () => {
                await push.remove(d.endpoint);
                refetch({ requestPolicy: 'network-only' });
              }}
            >
              Stop notifying {d.endpoint === thisDevice ? 'this device' : d.label}
            </button>
          </li>
        ))}
      </ul>

      {open ? <Channels offline={offline} /> : null}

      {admin ? (
        <>
          <h3>Webhooks</h3>
          <ul className="plain">
            {webhooks.data!.webhooks.map((w) => (
              <li key={w.id}>
                <span className="url">{w.url}</span>{' '}
                <span className="where">
                  {[w.format.toLowerCase(), w.signed ? 'signed' : null, w.onlyEscalations ? 'escalations only' : null, w.lastStatus ? `last: ${w.lastStatus}` : 'nothing sent yet']
                    .filter(Boolean)
                    .join(' · ')}
                </span>{' '}
                {w.fromEnvironment ? (
                  <span className="where">(from LOOKOUT_WEBHOOKS)</span>
                ) : (
                  <button
                    type="button"
                    disabled={offline}
                    onClick={async () => {
                      await removeWebhook({ id: w.id });
                      refetchWebhooks({ requestPolicy: 'network-only' });
                    }}
                  >
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ul>
          <WebhookForm offline={offline} onAdded={() => refetchWebhooks({ requestPolicy: 'network-only' })} />
        </>
      ) : null}
    </details>
  );
}

type Policy = NotificationSettingsQuery['notificationPolicy'];

function PolicyForm({ policy, projects, offline }: { policy: Policy; projects: string[]; offline: boolean }) {
  const [mode, setMode] = useState(policy.mode);
  const [muted, setMuted] = useState(new Set(policy.mutedProjects));
  const [quietFrom, setQuietFrom] = useState(asTime(policy.quietFrom));
  const [quietUntil, setQuietUntil] = useState(asTime(policy.quietUntil));
  const [escalate, setEscalate] = useState(String(policy.escalateAfterMinutes));
  const [status, setStatus] = useState('');
  const [{ fetching }, save] = useMutation(SavePolicy);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const choices = [...new Set([...projects, ...policy.mutedProjects])].sort();
  useEffect(() => setStatus(''), [mode, muted, quietFrom, quietUntil, escalate]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await save({
      mode,
      mutedProjects: [...muted],
      quietFrom: asMinutes(quietFrom),
      quietUntil: asMinutes(quietUntil),
      timeZone: quietFrom && quietUntil ? timeZone : policy.timeZone,
      escalateAfterMinutes: Number(escalate),
    });
    const answer = result.data?.setNotificationPolicy;
    setStatus(problemOf(answer, result.error) ?? 'Saved: every device follows it.');
  };

  return (
    <form className="policy" onSubmit={submit}>
      <fieldset>
        <legend>What reaches you outside this page</legend>
        {MODES.map((m) => (
          <label key={m.mode}>
            <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => setMode(m.mode)} /> {m.label}
          </label>
        ))}
      </fieldset>
      {choices.length ? (
        <fieldset>
          <legend>Muted projects</legend>
          {choices.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                checked={muted.has(p)}
                onChange={(e) => {
                  const next = new Set(muted);
                  if (e.target.checked) next.add(p);
                  else next.delete(p);
                  setMuted(next);
                }}
              />{' '}
              {p}
            </label>
          ))}
        </fieldset>
      ) : null}
      <fieldset>
        <legend>Quiet hours ({quietFrom && quietUntil ? timeZone : 'none'})</legend>
        <label>
          From <input type="time" value={quietFrom} onChange={(e) => setQuietFrom(e.target.value)} />
        </label>{' '}
        <label>
          until <input type="time" value={quietUntil} onChange={(e) => setQuietUntil(e.target.value)} />
        </label>
      </fieldset>
      <label>
        Notify again after a wait of <input type="number" min={0} max={10080} value={escalate} onChange={(e) => setEscalate(e.target.value)} /> minutes (0: never)
      </label>
      <p>
        <button type="submit" disabled={offline || fetching}>
          {fetching ? 'Saving…' : 'Save'}
        </button>{' '}
        <span role="status">{status}</span>
      </p>
    </form>
  );
}

function WebhookForm({ offline, onAdded }: { offline: boolean; onAdded(): void }) {
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('SLACK');
  const [secret, setSecret] = useState('');
  const [onlyEscalations, setOnlyEscalations] = useState(false);
  const [status, setStatus] = useState('');
  const [{ fetching }, add] = useMutation(AddWebhook);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await add({ url, format, secret: format === 'JSON' && secret ? secret : null, onlyEscalations });
    const problem = problemOf(result.data?.addWebhook, result.error);
    setStatus(problem ?? 'Added.');
    if (!problem) {
      setUrl('');
      setSecret('');
      onAdded();
    }
  };
  return (
    <form className="webhook" onSubmit={submit}>
      <label>
        URL <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.slack.com/services/…" />
      </label>{' '}
      <label>
        Format{' '}
        <select value={format} onChange={(e) => setFormat(e.target.value as WebhookFormat)}>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {f === 'JSON' ? 'JSON (signed)' : f.charAt(0) + f.slice(1).toLowerCase()}
            </option>
          ))}
        </select>
      </label>{' '}
      {format === 'JSON' ? (
        <label>
          Secret <input type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
        </label>
      ) : null}{' '}
      <label>
        <input type="checkbox" checked={onlyEscalations} onChange={(e) => setOnlyEscalations(e.target.checked)} /> only escalations
      </label>{' '}
      <button type="submit" disabled={offline || fetching}>
        {fetching ? 'Adding…' : 'Add webhook'}
      </button>{' '}
      <span role="status">{status}</span>
    </form>
  );
}
