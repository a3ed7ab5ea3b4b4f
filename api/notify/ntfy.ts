// ntfy: a person's topic gets their prompts, with `http` action buttons that POST to the answer
// link (the phone's ntfy app sends it, on Android and iOS), published in ntfy's JSON format. One
// notification per session (its sequence id): the answer, from anywhere, replaces it.
import { createHash } from 'node:crypto';
import type { OutgoingRequest } from './deliveries.ts';
import type { Notice } from './notice.ts';

/** Buttons an ntfy notification shows at most. */
const NTFY_ACTIONS = 3;

/** The server and topic of a topic's URL (`https://ntfy.sh/mytopic` → `https://ntfy.sh`, `mytopic`). */
export function ntfyTopic(url: string): { server: string; topic: string } {
  const parsed = new URL(url);
  const parts = parsed.pathname.split('/').filter(Boolean);
  const topic = parts.pop() ?? '';
  return { server: `${parsed.origin}${parts.length ? `/${parts.join('/')}` : ''}`, topic };
}

/** A topic URL Lookout publishes to: https, a topic name as ntfy allows it, no credentials. Null when it is one, else why not. */
export function ntfyTopicProblem(url: string): string | null {
  if (!URL.canParse(url)) return 'is not a URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') return 'must be https';
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return 'must be the topic URL alone (no credentials, query or fragment)';
  return /^[A-Za-z0-9_-]{1,64}$/.test(ntfyTopic(url).topic) ? null : 'must end in a topic name (letters, digits, - and _, at most 64)';
}

const sequenceOf = (sessionId: string) => `lookout-${createHash('sha256').update(sessionId).digest('hex').slice(0, 24)}`;

function publish(topicUrl: string, message: Record<string, unknown>): OutgoingRequest {
  const { server, topic } = ntfyTopic(topicUrl);
  return { url: server, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, ...message }) };
}

export function ntfyNotice(topicUrl: string, notice: Notice): OutgoingRequest {
  // A button that answers POSTs to the link: only where the phone can reach Lookout (its public URL).
  const buttons = notice.buttons.filter((button) => button.url !== null);
  const actions =
    buttons.length > 0 && buttons.length <= NTFY_ACTIONS
      ? buttons.map((button) =>
          button.does === 'ANSWER'
            ? { action: 'http', label: button.label, url: button.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', clear: true }
            : { action: 'view', label: button.label, url: button.url },
        )
      : notice.open
        ? [{ action: 'view', label: 'Open Lookout', url: notice.open }]
        : [];
  return publish(topicUrl, {
    sequence_id: sequenceOf(notice.sessionId),
    title: notice.title,
    message: [notice.headline, notice.asked, notice.where].filter(Boolean).join('\n'),
    tags: [notice.headline.startsWith('Still waiting') ? 'warning' : 'bell'],
    priority: notice.requestId ? 4 : 3,
    ...(notice.open ? { click: notice.open } : {}),
    actions,
  });
}

/** The session's notification again, saying what became of its prompt, without buttons. */
export function ntfyOutcome(topicUrl: string, notice: Notice, outcome: string): OutgoingRequest {
  return publish(topicUrl, {
    sequence_id: sequenceOf(notice.sessionId),
    title: notice.title,
    message: [outcome, notice.asked, notice.where].filter(Boolean).join('\n'),
    tags: ['white_check_mark'],
    priority: 2,
  });
}
