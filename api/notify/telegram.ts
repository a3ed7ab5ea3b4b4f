// Telegram: a bot sends each person's prompts to their linked chat with an inline keyboard, and
// hears the keyboard (and "/start <code>", which links a chat) by long polling getUpdates: Lookout
// needs no public address for it. Only the leading process polls (Telegram allows one poller).
import type { OutgoingRequest } from './deliveries.ts';
import type { Notice } from './notice.ts';

export interface TelegramSettings {
  botToken: string;
  /** https://api.telegram.org, or a stand-in's. */
  apiUrl: string;
  /** How long one getUpdates waits for something to happen. */
  pollSeconds: number;
}

export const methodUrl = (settings: TelegramSettings, method: string) => `${settings.apiUrl}/bot${settings.botToken}/${method}`;

function call(settings: TelegramSettings, method: string, body: Record<string, unknown>): OutgoingRequest {
  return { url: methodUrl(settings, method), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), readAnswer: true };
}

/** Telegram's HTML with its three special characters escaped. */
const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(notice: Notice, headline: string): string {
  return [`<b>${escaped(headline)}</b>`, escaped(notice.title), notice.asked ? `<pre>${escaped(notice.asked)}</pre>` : null, notice.where ? `<i>${escaped(notice.where)}</i>` : null]
    .filter(Boolean)
    .join('\n');
}

export function telegramNotice(settings: TelegramSettings, chatId: string, notice: Notice): OutgoingRequest {
  const buttons = notice.buttons.flatMap((button): Record<string, string>[] =>
    // A keyboard button's data is the link's token (45 bytes; Telegram takes 64).
    button.does === 'ANSWER' ? [{ text: button.label, callback_data: button.token }] : button.url ? [{ text: button.label, url: button.url }] : [],
  );
  if (notice.open) buttons.push({ text: 'Open Lookout', url: notice.open });
  const rows = buttons.length <= 2 ? [buttons] : buttons.map((button) => [button]);
  return call(settings, 'sendMessage', {
    chat_id: chatId,
    text: text(notice, notice.headline),
    parse_mode: 'HTML',
    ...(buttons.length ? { reply_markup: { inline_keyboard: rows } } : {}),
  });
}

/** The message edited in place: what became of the prompt; the keyboard goes. */
export function telegramOutcome(settings: TelegramSettings, message: { chat: string; id: number }, notice: Notice, outcome: string): OutgoingRequest {
  return call(settings, 'editMessageText', { chat_id: message.chat, message_id: message.id, text: `${text(notice, notice.headline)}\n\n${escaped(outcome)}`, parse_mode: 'HTML' });
}

export function telegramSay(settings: TelegramSettings, chatId: string, said: string): OutgoingRequest {
  return call(settings, 'sendMessage', { chat_id: chatId, text: said });
}

/** The small note Telegram shows the person who pressed a button. */
export function telegramAnswerPress(settings: TelegramSettings, pressId: string, said: string): OutgoingRequest {
  return call(settings, 'answerCallbackQuery', { callback_query_id: pressId, text: said.slice(0, 200) });
}

/** What getUpdates hands over that Lookout acts on. */
export type TelegramUpdate =
  | { id: number; kind: 'start'; chat: string; code: string }
  | { id: number; kind: 'press'; pressId: string; chat: string; from: string; data: string }
  | { id: number; kind: 'other' };

/** One update of getUpdates' result, as Lookout reads it. */
export function telegramUpdate(raw: unknown): TelegramUpdate | null {
  const update = raw as {
    update_id?: unknown;
    message?: { chat?: { id?: unknown; type?: unknown }; text?: unknown };
    callback_query?: { id?: unknown; from?: { id?: unknown }; data?: unknown; message?: { chat?: { id?: unknown } } };
  };
  if (typeof update?.update_id !== 'number') return null;
  const id = update.update_id;
  const start = typeof update.message?.text === 'string' ? /^\/start(?:@\w+)?\s+([A-Za-z0-9_-]{1,64})\s*$/.exec(update.message.text) : null;
  if (start && typeof update.message?.chat?.id === 'number' && update.message.chat.type === 'private') return { id, kind: 'start', chat: String(update.message.chat.id), code: start[1]! };
  const press = update.callback_query;
  if (press && typeof press.id === 'string' && typeof press.data === 'string' && typeof press.from?.id === 'number' && typeof press.message?.chat?.id === 'number') {
    return { id, kind: 'press', pressId: press.id, chat: String(press.message.chat.id), from: String(press.from.id), data: press.data };
  }
  return { id, kind: 'other' };
}
