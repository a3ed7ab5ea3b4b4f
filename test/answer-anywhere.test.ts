// Answering from wherever the person is: their own channels (ntfy, Slack, Telegram) get their
// prompts with a button per choice, against stand-ins that speak each service's wire format; a
// button (or an answer link opened in Chromium) answers the real hook waiting in `lookout hook
// claude-code`, which prints the decision, and the other channels then say it was answered.
// Tampered, stale, replayed, used, expired and other people's answers change nothing.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.ts';
import {
  type FakeNtfy,
  type FakeSlack,
  type FakeTelegram,
  pressNtfyAction,
  slackPressRequest,
  startNtfy,
  startSlack,
  startTelegram,
  telegramMessage,
  telegramPress,
} from './chat-services.ts';
import { LICENSE_QUESTION } from './fixtures/questions.ts';
import { sql, startServer, type TestServer } from './helpers.ts';
import { decision, runWaitingHook } from './waiting-hook.ts';

const browser = useBrowser();
/** Where people reach Lookout from their phones: a name of this machine, so no token is needed here. */
const PUBLIC_URL = 'http://lookout.localhost';
let server: TestServer;
let ntfy: FakeNtfy | undefined;
let slack: FakeSlack | undefined;
let telegram: FakeTelegram | undefined;
const hooks: ChildProcess[] = [];

afterEach(async () => {
  for (const hook of hooks.splice(0)) hook.kill('SIGKILL');
  await server?.stop();
  for (const fake of [ntfy, slack, telegram]) fake?.close();
  ntfy = slack = telegram = undefined;
});

const origin = () => server.url.replace(/\/graphql$/, '');
/** A link's path, asked of this Lookout: the public name stands for it. */
const local = (url: string) => `${origin()}${new URL(url).pathname}`;

async function start(): Promise<void> {
  ntfy = await startNtfy();
  slack = await startSlack();
  telegram = await startTelegram();
  server = await startServer({ ...ntfy.lookout.env, ...slack.env, ...telegram.env, LOOKOUT_PUBLIC_URL: PUBLIC_URL }, { deliveries: { ...ntfy.lookout.deliveries, backoffMs: 20 } });
}

async function ask(sessionId: string, hook: Record<string, unknown>) {
  const running = await runWaitingHook(server, sessionId, hook);
  hooks.push(running.child);
  return running;
}

const bash = (command: string) => ({ tool_name: 'Bash', tool_input: { command, description: 'Publish' } });
const question = { tool_name: 'AskUserQuestion', tool_input: { questions: [LICENSE_QUESTION] } };
const PENDING = `query($id: ID!) { session(id: $id) { pendingPermissions { id } } }`;
const stillPending = async (id: string) => (await server.gql(PENDING, { id })).data.session.pendingPermissions.length;
const EVENTS = `query($id: ID!) { session(id: $id) { events(last: 3) { edges { node { kind input } } } } }`;
/** Where the session's answer was given, as its log says. */
const answeredVia = async (id: string) =>
  (await server.gql(EVENTS, { id })).data.session.events.edges.map((e: any) => e.node).filter((n: any) => n.kind === 'ANSWER').map((n: any) => JSON.parse(n.input).by);
const CHANNELS = '{ myChannels { kind address verified lastStatus } }';

const SET_NTFY = `mutation($url: String!) { setNtfyChannel(topicUrl: $url) { __typename ... on MutationSetNtfyChannelSuccess { data { kind verified } } ... on Error { message } } }`;

/** The ntfy publish about a session's prompt, and its actions by label. */
async function ntfyPrompt(sessionId: string) {
  const published = await ntfy!.next('publish', (call) => call.body.priority === 4 && call.body.message.includes(sessionId === 'q1' ? LICENSE_QUESTION.question : ''));
  return { body: published.body, action: (label: string) => published.body.actions.find((a: any) => a.label === label) };
}

describe('an answer link and ntfy', () => {
  it('ntfy gets the whole command with http buttons; the link page shows it and acts on nothing until its button is pressed; then the hook has the answer, ntfy says so, and the link is used', async () => {
    await start();
    expect((await server.gql(SET_NTFY, { url: ntfy!.topicUrl })).data.setNtfyChannel).toEqual({ __typename: 'MutationSetNtfyChannelSuccess', data: { kind: 'NTFY', verified: true } });
    const command = 'npm publish --access public && git push --tags';
    const hook = await ask('n1', bash(command));
    const { body, action } = await ntfyPrompt('n1');
    expect(body).toMatchObject({ topic: 'phone-of-alice', title: expect.any(String), message: expect.stringContaining(`Bash: ${command}`) });
    const allow = action('Allow once');
    expect(allow).toMatchObject({ action: 'http', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', clear: true });
    expect(allow.url).toMatch(new RegExp(`^${PUBLIC_URL}/answer/[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{22}$`));
    expect(action('Deny').url).not.toBe(allow.url);

    const page = await browser().newPage();
    try {
      const opened = await page.goto(local(allow.url));
      expect(opened?.headers()['referrer-policy']).toBe('no-referrer');
      expect(await page.textContent('main')).toContain(command);
      // Opening it answered nothing.
      expect(await stillPending('n1')).toBe(1);
      await page.click('button#answer');
      await page.waitForFunction(() => document.getElementById('said')?.textContent);
      expect(await page.textContent('#said')).toBe('Allowed once: the agent got it.');
      expect(await hook.done).toEqual({ code: 0, stdout: decision({ behavior: 'allow' }), stderr: '' });
      expect(await answeredVia('n1')).toEqual(['LINK']);
      // The ntfy notification is replaced (same sequence id) by what became of it, without buttons.
      const outcome = await ntfy!.next('publish', (call) => call.body.sequence_id === body.sequence_id && call.body.priority === 2);
      expect(outcome.body.message).toMatch(/^Allowed once via link by you at \d\d:\d\d UTC\./);
      expect(outcome.body.actions).toBeUndefined();
      // A second open says it was used.
      const again = await page.goto(local(allow.url));
      expect(again?.status()).toBe(410);
      expect(await page.textContent('main')).toContain('This link was already used');
    } finally {
      await page.close();
    }
  });

  it("the ntfy app's http action answers (Deny) once; a tampered, expired, other person's or rotated link, or another site's POST, changes nothing", async () => {
    await start();
    await server.gql(SET_NTFY, { url: ntfy!.topicUrl });
    // The person's policy holds on every channel: a muted project's prompt reaches none of them.
    await server.gql('mutation { setNotificationPolicy(mode: NORMAL, mutedProjects: ["repo-m1"]) { __typename } }');
    const muted = await ask('m1', bash('make muted'));
    expect((await server.gql('{ session(id: "m1") { project } }')).data.session.project).toBe('repo-m1');
    const hook = await ask('n2', bash('rm -rf ./build'));
    const { action } = await ntfyPrompt('n2');
    // Sent in the order the prompts came: had the muted one been sent, it would have come first.
    expect(ntfy!.calls.map((call) => call.body.message).filter((message) => message.includes('make muted'))).toEqual([]);
    muted.child.kill('SIGKILL');
    const allow = action('Allow once');
    const deny = action('Deny');
    const post = (url: string, headers: Record<string, string> = {}) => fetch(local(url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

    // Tampered: a character of the signature changed, or its last one spelled another way that decodes
    // to the same bytes (base64's spare bits). Refused before anything is read.
    const token = new URL(allow.url).pathname.split('/').pop()!;
    const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const swap = (at: number, by: (index: number) => number) => allow.url.replace(token, `${token.slice(0, at)}${BASE64URL[by(BASE64URL.indexOf(token.at(at)!))]}${token.slice(at + 1)}`);
    for (const tampered of [swap(30, (i) => (i + 1) % 64), swap(token.length - 1, (i) => i | 1)]) {
      expect(Buffer.from(tampered.split('.').pop()!, 'base64url').length).toBe(16);
      expect((await post(tampered)).status).toBe(404);
      expect((await fetch(local(tampered))).status).toBe(404);
    }
    // Another site's page cannot post it.
    expect((await post(allow.url, { origin: 'https://evil.example' })).status).toBe(403);
    // Another person's link (the link row says it is Mallory's) and an expired one.
    const id = token.split('.')[0]!;
    await sql(server.database, `UPDATE "AnswerLink" SET "person" = 'mallory' WHERE "id" = '${id}'`);
    expect(await (await post(allow.url)).json()).toMatchObject({ ok: false, problem: 'NOT_YOURS' });
    await sql(server.database, `UPDATE "AnswerLink" SET "person" = 'you', "expiresAt" = '2001-01-01 00:00:00' WHERE "id" = '${id}'`);
    const expired = await post(allow.url);
    expect([expired.status, (await expired.json()).problem]).toEqual([410, 'EXPIRED']);
    expect(await stillPending('n2')).toBe(1);

    // The phone's ntfy app presses Deny: the request its action describes.
    const pressed = await pressNtfyAction(deny, origin());
    expect(await pressed.json()).toEqual({ ok: true, said: 'Denied: the agent got it.' });
    expect((await hook.done).stdout).toBe(decision({ behavior: 'deny', message: 'Denied from Lookout.' }));
    expect(await answeredVia('n2')).toEqual(['NTFY']);
    // Pressed again (a retry, a replay): used, nothing more.
    expect(await (await pressNtfyAction(deny, origin())).json()).toMatchObject({ ok: false, problem: 'USED' });

    // Rotating the key ends every link sent so far.
    const next = await ask('n3', bash('make deploy'));
    const third = (await ntfyPrompt('n3')).action('Allow once');
    expect((await server.gql('mutation { rotateAnswerLinkKey }')).data).toEqual({ rotateAnswerLinkKey: true });
    expect(await (await post(third.url)).json()).toMatchObject({ ok: false, problem: 'INVALID' });
    expect(await stillPending('n3')).toBe(1);
    next.child.kill('SIGKILL');
  });
});

describe('a link answers for its person only while they may act', () => {
  it("a member's link stops answering once their act token is revoked", async () => {
    ntfy = await startNtfy();
    server = await startServer({ ...ntfy.lookout.env, LOOKOUT_TOKEN: 'owner-token', LOOKOUT_PUBLIC_URL: 'http://lookout.localhost' }, { deliveries: ntfy.lookout.deliveries });
    const create = async (scope: string) =>
      (await server.gql(`mutation($scope: TokenScope!) { createToken(name: "bob", scope: $scope, person: "bob") { ... on MutationCreateTokenSuccess { data { token apiToken { id } } } } }`, { scope })).data.createToken.data;
    const [report, act] = [await create('REPORT'), await create('ACT')];
    await server.gql(SET_NTFY, { url: ntfy.topicUrl }, { authorization: `Bearer ${act.token}` });
    const hook = await runWaitingHook(server, 'b1', bash('make deploy'), { LOOKOUT_TOKEN: report.token });
    hooks.push(hook.child);
    const { action } = await ntfyPrompt('b1');
    await server.gql('mutation($id: ID!) { revokeToken(id: $id) { __typename } }', { id: act.apiToken.id });
    const refused = await pressNtfyAction(action('Allow once'), origin());
    expect([refused.status, await refused.json()]).toEqual([403, { ok: false, problem: 'NOT_YOURS', said: expect.stringMatching(/may no longer answer prompts/) }]);
    expect(await stillPending('b1')).toBe(1);
  });
});

describe('Slack', () => {
  it('a member links by pressing the button Lookout sends them (no one else can); a signed press answers; a tampered, stale, replayed or other member\'s press changes nothing; the message then says who answered', async () => {
    await start();
    const set = await server.gql(`mutation { setSlackChannel(memberId: "U0ALICE") { __typename ... on MutationSetSlackChannelSuccess { data { verified } } } }`);
    expect(set.data.setSlackChannel).toEqual({ __typename: 'MutationSetSlackChannelSuccess', data: { verified: false } });
    const linkMessage = await slack!.next('chat.postMessage', (call) => call.body.channel === 'U0ALICE');
    const linkButton = linkMessage.body.blocks.at(-1).elements[0];
    expect(linkButton).toMatchObject({ action_id: 'lookout_link', text: { text: 'Yes, this is me' } });
    const interactions = `${origin()}/slack/interactions`;
    const press = (request: ReturnType<typeof slackPressRequest>) => fetch(interactions, { method: 'POST', headers: request.headers, body: request.body });
    const dm = { channel: 'DU0ALICE', ts: '1700000000.000100' };

    // Another member cannot link Alice's prompts to themselves; nor is her code used up by trying.
    expect((await press(slackPressRequest({ user: 'U0MALLORY', actionId: 'lookout_link', value: linkButton.value, ...dm }))).status).toBe(200);
    await slack!.next('chat.postEphemeral', (call) => call.body.user === 'U0MALLORY');
    expect((await server.gql(CHANNELS)).data.myChannels).toMatchObject([{ kind: 'SLACK', verified: false }]);
    expect((await press(slackPressRequest({ user: 'U0ALICE', actionId: 'lookout_link', value: linkButton.value, ...dm }))).status).toBe(200);
    await slack!.next('chat.update', (call) => call.body.text.startsWith('Linked'));
    expect((await server.gql(CHANNELS)).data.myChannels).toMatchObject([{ kind: 'SLACK', address: 'U0ALICE', verified: true }]);

    const command = 'kubectl rollout restart deploy/web';
    const hook = await ask('s1', bash(command));
    const prompt = await slack!.next('chat.postMessage', (call) => call.body.channel === 'U0ALICE' && call.body.blocks.some((b: any) => b.type === 'rich_text'));
    expect(prompt.body.blocks[1].elements[0].elements[0].text).toBe(`Bash: ${command}`);
    const buttons = prompt.body.blocks.at(-1).elements;
    const allow = buttons.find((b: any) => b.text.text === 'Allow once');
    expect(allow).toMatchObject({ style: 'primary', action_id: expect.stringMatching(/^lookout_answer/) });
    const message = { channel: 'DU0ALICE', ts: '1700000001.000100' };
    const alicePress = { user: 'U0ALICE', actionId: allow.action_id, value: allow.value, ...message };

    // Tampered (signed with another secret), stale (ten minutes old), another member: refused.
    expect((await press(slackPressRequest(alicePress, undefined, 'not-the-secret'))).status).toBe(401);
    expect((await press(slackPressRequest(alicePress, Math.floor(Date.now() / 1000) - 600))).status).toBe(401);
    expect((await press(slackPressRequest({ ...alicePress, user: 'U0MALLORY' }))).status).toBe(200);
    expect((await slack!.next('chat.postEphemeral', (call) => call.body.user === 'U0MALLORY', 2)).body.text).toBe('This button is for another person: nothing was answered.');
    expect(await stillPending('s1')).toBe(1);

    const signed = slackPressRequest(alicePress);
    expect((await press(signed)).status).toBe(200);
    expect(await hook.done).toEqual({ code: 0, stdout: decision({ behavior: 'allow' }), stderr: '' });
    expect(await answeredVia('s1')).toEqual(['SLACK']);
    const edited = await slack!.next('chat.update', (call) => call.body.ts === message.ts);
    expect(edited.body.blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(/^Allowed once via slack by you at \d\d:\d\d UTC\.$/) }] });
    expect(edited.body.blocks.some((b: any) => b.type === 'actions')).toBe(false);
    // The same signed request again: the link is used, nothing is answered twice.
    expect((await press(signed)).status).toBe(200);
    expect((await slack!.next('chat.postEphemeral', (call) => call.body.user === 'U0ALICE')).body.text).toMatch(/^This link was already used/);
    expect(await answeredVia('s1')).toEqual(['SLACK']);
  });
});

describe('the page', () => {
  it('sets a person\'s ntfy topic, asks Slack to confirm a member, gives a Telegram code, and stops a channel', async () => {
    await start();
    const page = await browser().newPage();
    try {
      await page.goto(`${origin()}/`);
      await page.getByText('Notifications', { exact: true }).click();
      await page.getByLabel('ntfy topic').fill(ntfy!.topicUrl);
      await page.getByRole('button', { name: 'Send my prompts there' }).click();
      await page.getByText('ntfy set: subscribe to that topic in the ntfy app.').waitFor();
      await page.getByText(ntfy!.topicUrl).waitFor();
      await page.getByLabel('Slack member id').fill('U0ALICE');
      await page.getByRole('button', { name: 'Send my prompts to Slack' }).click();
      await page.getByText('waiting for you to confirm it there').waitFor();
      await slack!.next('chat.postMessage', (call) => call.body.channel === 'U0ALICE');
      await page.getByRole('button', { name: 'Link a Telegram chat' }).click();
      const command = await page.locator('.channels code').innerText();
      expect(command).toMatch(/^\/start [A-Za-z0-9_-]{22}$/);
      expect(await page.getByRole('link', { name: 'open it in Telegram' }).getAttribute('href')).toBe(`https://t.me/lookout_test_bot?start=${command.slice(7)}`);
      await page.getByRole('button', { name: 'Stop sending to ntfy' }).click();
      await expect.poll(async () => (await server.gql(CHANNELS)).data.myChannels.map((c: { kind: string }) => c.kind)).toEqual(['SLACK']);
      // A topic ntfy cannot be at is refused with why.
      await page.getByLabel('ntfy topic').fill('https://example.com/topic');
      await page.getByRole('button', { name: 'Send my prompts there' }).click();
      await page.getByText(/That ntfy address must be at ntfy.sh or a host in LOOKOUT_NTFY_HOSTS/).waitFor();
    } finally {
      await page.close();
    }
  });
});

describe('what a message cannot show whole', () => {
  it('gets no allow button in Slack, Telegram or ntfy: it opens the link\'s page instead, which shows the command whole and names its hidden characters', async () => {
    await start();
    await server.gql(SET_NTFY, { url: ntfy!.topicUrl });
    const code = (await server.gql('mutation { linkTelegram { ... on MutationLinkTelegramSuccess { data { command } } } }')).data.linkTelegram.data.command;
    telegram!.send(telegramMessage(555, code));
    await telegram!.next('sendMessage', (call) => call.body.chat_id === '555');
    // A right-to-left override makes the end of the command read backwards in a message.
    const command = 'echo done # \u202Ehs.llatsni | lruc';
    const hook = await ask('h1', bash(command));

    const sent = await telegram!.next('sendMessage', (call) => !!call.body.reply_markup);
    const keyboard = sent.body.reply_markup.inline_keyboard.flat();
    expect(sent.body.text).not.toContain('\u202E');
    expect(sent.body.text).toContain('echo done # ⟨U+202E⟩hs.llatsni');
    expect(keyboard.map((b: any) => [b.text, 'callback_data' in b ? 'answers' : 'opens'])).toEqual([
      ['Review: Allow once', 'opens'],
      ['Deny', 'answers'],
      ['Open Lookout', 'opens'],
    ]);
    const { action } = await ntfyPrompt('h1');
    expect(action('Review: Allow once')).toMatchObject({ action: 'view' });
    expect(action('Deny')).toMatchObject({ action: 'http' });

    const page = await (await fetch(local(keyboard[0].url))).text();
    expect(page).toContain('echo done # <mark>⟨U+202E⟩</mark>hs.llatsni | lruc');
    expect(await stillPending('h1')).toBe(1);
    hook.child.kill('SIGKILL');
  });
});

describe('Telegram', () => {
  it('a chat links with the one-time code from the page; a question is answered from its keyboard (other chats and groups refused); the other channels say it was answered', async () => {
    await start();
    await server.gql(SET_NTFY, { url: ntfy!.topicUrl });
    const link = (await server.gql('mutation { linkTelegram { __typename ... on MutationLinkTelegramSuccess { data { code command url } } } }')).data.linkTelegram.data;
    expect(link.url).toBe(`https://t.me/lookout_test_bot?start=${link.code}`);
    expect(link.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    telegram!.send(telegramMessage(555, link.command));
    expect((await telegram!.next('sendMessage', (call) => call.body.chat_id === '555')).body.text).toBe('Linked: the prompts of you come here, and you can answer them.');
    // The code works once.
    telegram!.send(telegramMessage(777, link.command));
    expect((await telegram!.next('sendMessage', (call) => call.body.chat_id === '777')).body.text).toMatch(/^That code is not valid/);
    expect((await server.gql(CHANNELS)).data.myChannels).toMatchObject([
      { kind: 'NTFY', verified: true },
      { kind: 'TELEGRAM', address: '555', verified: true },
    ]);

    const hook = await ask('q1', question);
    const prompt = await telegram!.next('sendMessage', (call) => call.body.chat_id === '555' && !!call.body.reply_markup);
    expect(prompt.body.text).toContain(LICENSE_QUESTION.question);
    const keyboard = prompt.body.reply_markup.inline_keyboard.flat();
    const apache = keyboard.find((b: any) => b.text === 'Apache-2.0');
    expect(Buffer.byteLength(apache.callback_data)).toBeLessThanOrEqual(64);
    const ntfyMessage = await ntfyPrompt('q1');

    // Another chat, and Alice's press in a group (the chat is not hers alone): refused.
    telegram!.send(telegramPress(666, 666, 100, apache.callback_data));
    expect((await telegram!.next('answerCallbackQuery')).body.text).toBe('This button is for another person: nothing was answered.');
    telegram!.send(telegramPress(-100, 555, 100, apache.callback_data));
    expect((await telegram!.next('answerCallbackQuery', undefined, 2)).body.text).toBe('This button is for another person: nothing was answered.');
    expect(await stillPending('q1')).toBe(1);

    telegram!.send(telegramPress(555, 555, 100, apache.callback_data));
    expect((await telegram!.next('answerCallbackQuery', undefined, 3)).body.text).toBe('Answered “Apache-2.0”.');
    const { stdout } = await hook.done;
    expect(JSON.parse(stdout).hookSpecificOutput.decision.updatedInput.answers).toEqual({ [LICENSE_QUESTION.question]: 'Apache-2.0' });
    expect(await answeredVia('q1')).toEqual(['TELEGRAM']);
    // The Telegram message loses its keyboard and says it; the ntfy notification says it too.
    const edited = await telegram!.next('editMessageText', (call) => call.body.chat_id === '555');
    expect(edited.body.text).toMatch(/Answered “Apache-2.0” via telegram by you at/);
    expect(edited.body.reply_markup).toBeUndefined();
    const replaced = await ntfy!.next('publish', (call) => call.body.sequence_id === ntfyMessage.body.sequence_id && call.body.priority === 2);
    expect(replaced.body.message).toMatch(/^Answered “Apache-2.0” via telegram by you at/);
  });
});
