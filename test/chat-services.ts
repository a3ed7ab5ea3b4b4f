// Stand-ins on loopback for the services people answer from, each speaking its real wire format:
// Slack's Web API (chat.postMessage, chat.update, chat.postEphemeral) and the signed interaction
// requests Slack sends an app; Telegram's Bot API (getUpdates by long polling, sendMessage,
// editMessageText, answerCallbackQuery, getMe); an ntfy server (JSON publishing, over https) and
// what its phone app does when an `http` action button is pressed.
import { createHmac } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { certificate } from './push-service.ts';

export interface Call {
  method: string;
  body: any;
  headers: IncomingMessage['headers'];
}

interface Recorder {
  calls: Call[];
  /** Waits until a call of `method` matching `where` has come (the `count`th such), and returns it. */
  next(method: string, where?: (call: Call) => boolean, count?: number): Promise<Call>;
}

function recorder(): Recorder & { record(call: Call): void } {
  const calls: Call[] = [];
  const waiters = new Set<() => void>();
  return {
    calls,
    record(call) {
      calls.push(call);
      for (const waiter of waiters) waiter();
    },
    async next(method, where = () => true, count = 1) {
      const found = () => calls.filter((call) => call.method === method && where(call))[count - 1];
      const deadline = Date.now() + 10_000;
      while (!found()) {
        if (Date.now() > deadline) throw new Error(`No ${method} came; calls: ${JSON.stringify(calls.map((c) => c.method))}`);
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
          setTimeout(resolve, 100);
        });
      }
      return found()!;
    },
  };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const json = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

// ---- Slack ----------------------------------------------------------------------------------------

export const SLACK_BOT_TOKEN = 'xoxb-test-bot-token';
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-for-tests';

export interface FakeSlack extends Recorder {
  apiUrl: string;
  /** What Lookout needs to use this Slack. */
  env: Record<string, string>;
  close(): void;
}

export async function startSlack(): Promise<FakeSlack> {
  const calls = recorder();
  let ts = 1_700_000_000;
  const server = createHttpServer(async (req, res) => {
    const method = (req.url ?? '').replace(/^\/api\//, '');
    const body = JSON.parse((await read(req)) || '{}');
    if (req.headers.authorization !== `Bearer ${SLACK_BOT_TOKEN}`) return json(res, { ok: false, error: 'invalid_auth' });
    calls.record({ method, body, headers: req.headers });
    // A direct message to a member goes to the app's DM channel with them.
    if (method === 'chat.postMessage') return json(res, { ok: true, channel: `D${body.channel}`, ts: `${ts++}.000100` });
    if (method === 'chat.update') return json(res, { ok: true, channel: body.channel, ts: body.ts });
    json(res, { ok: true });
  });
  const port = await listen(server);
  const apiUrl = `http://127.0.0.1:${port}/api`;
  return { ...calls, apiUrl, env: { LOOKOUT_SLACK_BOT_TOKEN: SLACK_BOT_TOKEN, LOOKOUT_SLACK_SIGNING_SECRET: SLACK_SIGNING_SECRET, LOOKOUT_SLACK_API_URL: apiUrl }, close: () => server.close() };
}

/** A button press as Slack sends it to the app's Request URL: a form with the payload, signed (v0) at `at` seconds. */
export function slackPressRequest(press: { user: string; actionId: string; value: string; channel: string; ts: string }, at = Math.floor(Date.now() / 1000), secret = SLACK_SIGNING_SECRET) {
  const payload = {
    type: 'block_actions',
    user: { id: press.user, username: 'someone', team_id: 'T1' },
    api_app_id: 'A1',
    container: { type: 'message', message_ts: press.ts, channel_id: press.channel, is_ephemeral: false },
    channel: { id: press.channel, name: 'directmessage' },
    message: { type: 'message', ts: press.ts },
    response_url: 'https://hooks.slack.com/actions/T1/1/x',
    actions: [{ type: 'button', action_id: press.actionId, block_id: 'b', value: press.value, action_ts: `${at}.1` }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`;
  return {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(at), 'x-slack-signature': signature },
  };
}

// ---- Telegram -------------------------------------------------------------------------------------

export const TELEGRAM_BOT_TOKEN = '123456:test-bot-token';

export interface FakeTelegram extends Recorder {
  env: Record<string, string>;
  /** An update getUpdates hands over next: a message sent to the bot, or a keyboard button pressed. */
  send(update: Record<string, unknown>): void;
  close(): void;
}

export async function startTelegram(): Promise<FakeTelegram> {
  const calls = recorder();
  const updates: Record<string, unknown>[] = [];
  const polls = new Set<() => void>();
  let updateId = 1;
  let messageId = 100;
  const server = createHttpServer(async (req, res) => {
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    if (!match || match[1] !== TELEGRAM_BOT_TOKEN) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":404,"description":"Not Found"}');
    const method = match[2]!;
    const body = JSON.parse((await read(req)) || '{}');
    if (method === 'getUpdates') {
      // Long polling: answers at once with what is there, else when something comes or the timeout ends.
      const pending = () => updates.filter((u) => (u.update_id as number) >= (body.offset ?? 0));
      const deadline = Date.now() + (body.timeout ?? 0) * 1000;
      while (pending().length === 0 && Date.now() < deadline && !res.destroyed) await new Promise<void>((resolve) => (polls.add(resolve), setTimeout(resolve, 200)));
      return json(res, { ok: true, result: pending() });
    }
    calls.record({ method, body, headers: req.headers });
    if (method === 'getMe') return json(res, { ok: true, result: { id: 123456, is_bot: true, username: 'lookout_test_bot' } });
    if (method === 'sendMessage') return json(res, { ok: true, result: { message_id: messageId++, chat: { id: Number(body.chat_id), type: 'private' }, date: 0, text: body.text } });
    if (method === 'editMessageText') return json(res, { ok: true, result: { message_id: body.message_id, chat: { id: Number(body.chat_id) }, text: body.text } });
    json(res, { ok: true, result: true });
  });
  const port = await listen(server);
  return {
    ...calls,
    env: { LOOKOUT_TELEGRAM_BOT_TOKEN: TELEGRAM_BOT_TOKEN, LOOKOUT_TELEGRAM_API_URL: `http://127.0.0.1:${port}`, LOOKOUT_TELEGRAM_POLL_SECONDS: '5' },
    send(update) {
      updates.push({ update_id: updateId++, ...update });
      for (const poll of polls) poll();
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A private chat's message to the bot. */
export const telegramMessage = (chat: number, text: string) => ({ message: { message_id: 1, from: { id: chat, is_bot: false, first_name: 'A' }, chat: { id: chat, type: 'private' }, date: 0, text } });

/** An inline keyboard button pressed, by `from`, on a message in `chat`. */
export const telegramPress = (chat: number, from: number, messageId: number, data: string) => ({
  callback_query: { id: `press-${Math.random()}`, from: { id: from, is_bot: false, first_name: 'A' }, message: { message_id: messageId, chat: { id: chat, type: chat === from ? 'private' : 'group' }, date: 0 }, chat_instance: '1', data },
});

// ---- ntfy -----------------------------------------------------------------------------------------

export interface FakeNtfy extends Recorder {
  /** A topic on this server. */
  topicUrl: string;
  /** What Lookout needs to publish here: the host named as an ntfy server of its own, the certificate trusted. */
  lookout: { env: Record<string, string>; deliveries: { ca: Buffer } };
  close(): void;
}

export async function startNtfy(): Promise<FakeNtfy> {
  const tls = await certificate();
  const calls = recorder();
  const server = createHttpsServer(tls, async (req, res) => {
    const body = JSON.parse((await read(req)) || '{}');
    calls.record({ method: 'publish', body, headers: req.headers });
    json(res, { id: `m${calls.calls.length}`, time: 0, event: 'message', topic: body.topic });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ...calls,
    topicUrl: `https://localhost:${port}/phone-of-alice`,
    lookout: { env: { LOOKOUT_NTFY_HOSTS: `localhost:${port}` }, deliveries: { ca: tls.cert } },
    close: () => server.close(),
  };
}

/** What the ntfy app does when an `http` action button is pressed: the request the action describes, sent to Lookout (at `origin`, as the phone reaches it). */
export function pressNtfyAction(action: { url: string; method?: string; headers?: Record<string, string>; body?: string }, origin: string) {
  const url = new URL(action.url);
  return fetch(`${origin}${url.pathname}`, { method: action.method ?? 'POST', headers: action.headers ?? {}, body: action.body ?? '' });
}
