// Slack: a Slack app's bot sends each person's prompts to them as a direct message with Block Kit
// buttons (chat.postMessage), hears the buttons through Slack's signed interaction requests, and
// edits the message in place (chat.update) once the prompt is answered, wherever that was.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OutgoingRequest } from './deliveries.ts';
import type { Notice } from './notice.ts';

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  /** https://slack.com/api, or a stand-in's. */
  apiUrl: string;
}

/** How far a request's timestamp may be from now (Slack's own advice: five minutes). */
const SIGNATURE_WINDOW_SECONDS = 5 * 60;
export const ANSWER_ACTION = 'lookout_answer';
export const LINK_ACTION = 'lookout_link';

/**
 * Whether a request is Slack's: `v0=` and the HMAC-SHA256, under the signing secret, of
 * `v0:<timestamp>:<body>`, compared in constant time, with a timestamp within five minutes of now.
 */
export function slackSigned(secret: string, timestamp: string | undefined, signature: string | undefined, body: string, now = Date.now()): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Slack's mrkdwn with its three control characters escaped. */
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function call(settings: SlackSettings, method: string, body: Record<string, unknown>): OutgoingRequest {
  return {
    url: `${settings.apiUrl}/${method}`,
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${settings.botToken}` },
    body: JSON.stringify(body),
    readAnswer: true,
  };
}

/** The blocks every message about a notice starts with: what needs the person, and what is asked, verbatim. */
function noticeBlocks(notice: Notice, headline: string): unknown[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escaped(headline)}*\n${escaped(notice.title)}${notice.where ? `\n${escaped(notice.where)}` : ''}` } },
    // Preformatted rich text is shown as it is: nothing in a command is read as formatting.
    ...(notice.asked ? [{ type: 'rich_text', elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: notice.asked }] }] }] : []),
  ];
}

export function slackNotice(settings: SlackSettings, memberId: string, notice: Notice): OutgoingRequest {
  const buttons = notice.buttons.flatMap((button, i): Record<string, unknown>[] => {
    if (button.does === 'ANSWER') {
      const style = /^(Deny|Keep planning)$/.test(button.label) ? { style: 'danger' } : /^(Allow once|Approve plan)$/.test(button.label) ? { style: 'primary' } : {};
      return [{ type: 'button', action_id: `${ANSWER_ACTION}_${i}`, text: { type: 'plain_text', text: button.label.slice(0, 75) }, value: button.token, ...style }];
    }
    return button.url ? [{ type: 'button', action_id: `lookout_review_${i}`, text: { type: 'plain_text', text: button.label.slice(0, 75) }, url: button.url }] : [];
  });
  if (notice.open) buttons.push({ type: 'button', action_id: 'lookout_open', text: { type: 'plain_text', text: 'Open Lookout' }, url: notice.open });
  return call(settings, 'chat.postMessage', {
    channel: memberId,
    text: `${notice.headline}: ${notice.title}`,
    blocks: [...noticeBlocks(notice, notice.headline), ...(buttons.length ? [{ type: 'actions', elements: buttons }] : [])],
  });
}

/** The message edited in place: what became of the prompt, and no buttons. */
export function slackOutcome(settings: SlackSettings, message: { channel: string; ts: string }, notice: Notice, outcome: string): OutgoingRequest {
  return call(settings, 'chat.update', {
    channel: message.channel,
    ts: message.ts,
    text: `${outcome} ${notice.title}`,
    blocks: [...noticeBlocks(notice, notice.headline), { type: 'context', elements: [{ type: 'mrkdwn', text: escaped(outcome) }] }],
  });
}

/** "Is this you?": the message that links a Slack member to a person, once its button is pressed by that member. */
export function slackLinkRequest(settings: SlackSettings, memberId: string, person: string, code: string): OutgoingRequest {
  return call(settings, 'chat.postMessage', {
    channel: memberId,
    text: `Send your Lookout prompts here, for ${person}?`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Lookout asks: send the prompts of *${escaped(person)}* here, and answer them from Slack?` } },
      { type: 'actions', elements: [{ type: 'button', action_id: LINK_ACTION, text: { type: 'plain_text', text: 'Yes, this is me' }, value: code, style: 'primary' }] },
    ],
  });
}

/** A message replaced by a line of text (a link made, a button refused). */
export function slackReplace(settings: SlackSettings, message: { channel: string; ts: string }, text: string): OutgoingRequest {
  return call(settings, 'chat.update', { channel: message.channel, ts: message.ts, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: escaped(text) } }] });
}

/** A line only the member who pressed a button sees (why it did nothing). */
export function slackEphemeral(settings: SlackSettings, channel: string, user: string, text: string): OutgoingRequest {
  return call(settings, 'chat.postEphemeral', { channel, user, text });
}

/** A button press, as Slack's interaction payload (`block_actions`) carries it. */
export interface SlackPress {
  user: string;
  actionId: string;
  value: string;
  message: { channel: string; ts: string } | null;
}

/** The press in an interaction's form body (`payload=<JSON>`); null for anything else. */
export function slackPress(body: string): SlackPress | null {
  try {
    const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '') as {
      type?: string;
      user?: { id?: string };
      actions?: { action_id?: string; value?: string }[];
      channel?: { id?: string };
      container?: { channel_id?: string; message_ts?: string };
      message?: { ts?: string };
    };
    const action = payload.actions?.[0];
    if (payload.type !== 'block_actions' || typeof payload.user?.id !== 'string' || typeof action?.action_id !== 'string' || typeof action.value !== 'string') return null;
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    const ts = payload.container?.message_ts ?? payload.message?.ts;
    return { user: payload.user.id, actionId: action.action_id, value: action.value, message: channel && ts ? { channel, ts } : null };
  } catch {
    return null;
  }
}
