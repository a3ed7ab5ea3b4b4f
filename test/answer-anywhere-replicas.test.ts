// Answers from outside the page with Lookout run as replicas on one PostgreSQL database: a link used
// through one replica answers the hook waiting on another, and the replica that sent the messages
// about the prompt is the one that says, on them, what became of it.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeNtfy, type FakeTelegram, startNtfy, startTelegram, telegramMessage } from './chat-services.ts';
import { freshDatabase, ON_POSTGRESQL, startServer, type TestServer } from './helpers.ts';
import { decision, runWaitingHook } from './waiting-hook.ts';

const servers: TestServer[] = [];
const hooks: ChildProcess[] = [];
let ntfy: FakeNtfy | undefined;
let telegram: FakeTelegram | undefined;
afterEach(async () => {
  for (const hook of hooks.splice(0)) hook.kill('SIGKILL');
  for (const server of servers.splice(0)) await server.stop();
  ntfy?.close();
  telegram?.close();
  ntfy = telegram = undefined;
});

describe.runIf(ON_POSTGRESQL)('answering from outside the page, on replicas', () => {
  it('a link used through one replica answers the hook waiting on another; the replica that sent the ntfy message replaces it', async () => {
    ntfy = await startNtfy();
    const database = await freshDatabase();
    const start = () => startServer({ ...ntfy!.lookout.env, LOOKOUT_PUBLIC_URL: 'http://lookout.localhost' }, { database, deliveries: ntfy!.lookout.deliveries });
    const sender = await start();
    servers.push(sender);
    const other = await start();
    servers.push(other);
    await sender.gql('mutation($url: String!) { setNtfyChannel(topicUrl: $url) { __typename } }', { url: ntfy.topicUrl });

    const hook = await runWaitingHook(sender, 'r1', { tool_name: 'Bash', tool_input: { command: 'make release' } });
    hooks.push(hook.child);
    const asked = await ntfy.next('publish', (call) => call.body.priority === 4);
    const allow = asked.body.actions.find((a: { label: string }) => a.label === 'Allow once');
    const through = `${other.url.replace(/\/graphql$/, '')}${new URL(allow.url).pathname}`;
    const used = await fetch(through, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'page' }) });
    expect(await used.json()).toEqual({ ok: true, said: 'Allowed once: the agent got it.' });
    expect(await hook.done).toEqual({ code: 0, stdout: decision({ behavior: 'allow' }), stderr: '' });
    const replaced = await ntfy.next('publish', (call) => call.body.sequence_id === asked.body.sequence_id && call.body.priority === 2);
    expect(replaced.body.message).toMatch(/^Allowed once via link by you at/);
  });

  it("only the leading replica reads the Telegram bot's updates (Telegram gives them to one poller): a code is redeemed once", async () => {
    telegram = await startTelegram();
    const database = await freshDatabase();
    for (let i = 0; i < 2; i++) servers.push(await startServer(telegram.env, { database }));
    const code = (await servers[1]!.gql('mutation { linkTelegram { ... on MutationLinkTelegramSuccess { data { command } } } }')).data.linkTelegram.data.command;
    telegram.send(telegramMessage(555, code));
    await telegram.next('sendMessage', (call) => call.body.chat_id === '555');
    // Another chat's message comes after it: every poller would have handled the first by the time it answers this one.
    telegram.send(telegramMessage(556, '/start not-a-code'));
    await telegram.next('sendMessage', (call) => call.body.chat_id === '556');
    expect(telegram.calls.filter((call) => call.method === 'sendMessage' && call.body.chat_id === '555').map((call) => call.body.text)).toEqual([
      'Linked: the prompts of you come here, and you can answer them.',
    ]);
  });
});
