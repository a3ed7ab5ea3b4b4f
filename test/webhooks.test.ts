// Webhooks against local receivers: each format, the signature, retries after a 500, giving up,
// and a receiver that never answers delays neither writes nor the other targets.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { askPermission, RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

let server: TestServer;
const receivers: Server[] = [];
afterEach(async () => {
  await server?.stop();
  for (const r of receivers.splice(0)) r.closeAllConnections(), r.close();
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver that answers each request with the next status of `statuses` (the last one repeats; 0: never answers). */
async function receiver(statuses: number[] = [200]) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      waiters.splice(0).forEach((w) => w());
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status) res.writeHead(status).end();
    });
  });
  receivers.push(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/hook`;
  const next = async (count: number) => {
    while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return received.slice(0, count);
  };
  return { url, received, next };
}

const waitFor = (sessionId: string, title: string, detail: string) =>
  server.gql(RECORD_SPEAKER, { input: { sessionId, speaker: 'USER', title, project: 'shop', branch: 'main', agent: 'claude-code' } }).then(() =>
    server.gql(RECORD_ACTIVITY, { input: { sessionId, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: detail } }),
  );

const add = (url: string, format: string, secret?: string, onlyEscalations?: boolean) =>
  server.gql(
    `mutation($url: String!, $format: WebhookFormat!, $secret: String, $onlyEscalations: Boolean) {
      addWebhook(url: $url, format: $format, secret: $secret, onlyEscalations: $onlyEscalations) { ... on MutationAddWebhookSuccess { data { id } } }
    }`,
    { url, format, secret, onlyEscalations },
  );

describe('webhooks', () => {
  it('send "needs you" in each format, the JSON one signed, once per news (and again when it escalates)', async () => {
    server = await startServer({ LOOKOUT_ESCALATE_MINUTES: '0.01' });
    const json = await receiver();
    const slack = await receiver();
    const discord = await receiver();
    const ntfy = await receiver();
    await add(json.url, 'JSON', 'sign-me-please');
    await add(slack.url, 'SLACK');
    await add(discord.url, 'DISCORD');
    await add(ntfy.url, 'NTFY');
    const second = await receiver();
    await add(second.url, 'JSON', undefined, true);
    await waitFor('s1', 'Ship it', 'Bash: npm publish');

    const [first, escalated] = await json.next(2);
    const payload = JSON.parse(first!.body);
    expect(payload).toMatchObject({ event: 'needs_you', session: { id: 's1', title: 'Ship it', project: 'shop', owner: 'you' }, attention: { reason: 'WAITING', label: 'Waiting for permission', detail: 'Bash: npm publish', escalatedAt: null } });
    expect(first!.headers['x-lookout-signature']).toBe(`sha256=${createHmac('sha256', 'sign-me-please').update(first!.body).digest('hex')}`);
    expect(JSON.parse(escalated!.body)).toMatchObject({ event: 'escalated', attention: { escalatedAt: expect.any(String) } });
    // The second channel hears the escalation first: it never heard the news before it.
    expect(JSON.parse((await second.next(1))[0]!.body)).toMatchObject({ event: 'escalated', session: { id: 's1' } });
    expect(JSON.parse((await slack.next(1))[0]!.body)).toEqual({ text: 'Waiting for permission: Ship it\nBash: npm publish\nclaude-code · shop · main' });
    expect(JSON.parse((await discord.next(1))[0]!.body)).toEqual({ content: 'Waiting for permission: Ship it\nBash: npm publish\nclaude-code · shop · main' });
    const [note] = await ntfy.next(1);
    expect([note!.headers.title, note!.body]).toEqual(['Waiting for permission: Ship it', 'Bash: npm publish\nclaude-code · shop · main']);
    // The last outcome is there for the user.
    const { data } = await server.gql('{ webhooks { format lastStatus signed } }');
    expect(data.webhooks).toContainEqual({ format: 'JSON', lastStatus: '200', signed: true });
  });

  it('retry after a 500, give up after their attempts with the failure visible, and a receiver that never answers slows nothing', async () => {
    // Retries 20 ms apart, doubling (the default starts at 1 s): the same schedule, in less time.
    server = await startServer({}, { deliveries: { backoffMs: 20 } });
    const flaky = await receiver([500, 200]);
    const broken = await receiver([500]);
    const hanging = await receiver([0]);
    const healthy = await receiver();
    await add(flaky.url, 'JSON');
    await add(broken.url, 'JSON');
    await add(hanging.url, 'JSON');
    await add(healthy.url, 'JSON');

    const started = Date.now();
    await waitFor('s2', 'Deploy', 'Bash: ./deploy.sh');
    // The write was acknowledged without waiting for any receiver, and the healthy one heard at once.
    await healthy.next(1);
    await hanging.next(1);
    expect(Date.now() - started).toBeLessThan(4_000); // a hanging receiver's own timeout is 5 s
    await flaky.next(2);
    await expect.poll(async () => (await server.gql('{ webhooks { url lastStatus } }')).data.webhooks.find((w: any) => w.url === flaky.url).lastStatus).toBe('200');
    await broken.next(5);
    await expect
      .poll(async () => (await server.gql('{ webhooks { url lastStatus } }')).data.webhooks.find((w: any) => w.url === broken.url).lastStatus)
      .toBe('gave up after 5 attempts: 500');
  });

  it("follow the session owner's policy: quiet mode tells waits and failures only, a muted project nothing", async () => {
    server = await startServer();
    const hook = await receiver();
    await add(hook.url, 'JSON');
    const set = await server.gql('mutation { setNotificationPolicy(mode: QUIET, mutedProjects: ["muted"]) { ... on MutationSetNotificationPolicySuccess { data { mode mutedProjects } } } }');
    expect(set.data.setNotificationPolicy.data).toEqual({ mode: 'QUIET', mutedProjects: ['muted'] });
    // Awaiting a reply: not in quiet mode. A muted project's wait: no. Then a wait elsewhere: yes.
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'reply', speaker: 'ASSISTANT', project: 'shop' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'muted', speaker: 'USER', project: 'muted' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'muted', state: 'WAITING', waitReason: 'QUESTION' } });
    await waitFor('loud', 'Loud', 'Bash: make');
    const [only] = await hook.next(1);
    expect(JSON.parse(only!.body).session.id).toBe('loud');
    expect(hook.received).toHaveLength(1);
  });

  it("a target of the owner's alone carries the prompt's answer links (one per choice, each answering once); a team's target never does", async () => {
    server = await startServer({ LOOKOUT_PUBLIC_URL: 'http://lookout.localhost' });
    const [own, team] = [await receiver(), await receiver()];
    await server.gql(`mutation($url: String!) { addWebhook(url: $url, format: JSON, person: "you") { __typename } }`, { url: own.url });
    await add(team.url, 'JSON');
    await askPermission(server, 'w1', 'npm publish');
    const [[ownRequest], [teamRequest]] = await Promise.all([own.next(1), team.next(1)]);
    expect(JSON.parse(teamRequest!.body).answer).toBeUndefined();
    const { answer } = JSON.parse(ownRequest!.body);
    expect(answer.requestId).toBe('w1:ask-w1');
    expect(answer.choices.map((c: { label: string }) => c.label)).toEqual(['Allow once', 'Deny']);
    const origin = server.url.replace(/\/graphql$/, '');
    const deny = `${origin}${new URL(answer.choices[1].url).pathname}`;
    // Opening it shows the prompt and answers nothing; its page's button (a POST) answers once.
    expect(await (await fetch(deny)).text()).toContain('npm publish');
    const post = () => fetch(deny, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'page' }) }).then((res) => res.json());
    expect(await post()).toEqual({ ok: true, said: 'Denied: the agent got it.' });
    expect(await post()).toMatchObject({ ok: false, problem: 'USED' });
  });

  it('LOOKOUT_WEBHOOKS sets targets for a quick start; a bad entry stops start-up with its name', async () => {
    const quick = await receiver();
    server = await startServer({ LOOKOUT_WEBHOOKS: `slack=${quick.url}` });
    await waitFor('s3', 'Quick', 'Bash: ls');
    expect(JSON.parse((await quick.next(1))[0]!.body).text).toMatch(/^Waiting for permission: Quick/);
    expect((await server.gql('{ webhooks { format fromEnvironment } }')).data.webhooks).toEqual([{ format: 'SLACK', fromEnvironment: true }]);
    await expect(startServer({ LOOKOUT_WEBHOOKS: 'teams=https://x.example' })).rejects.toThrow(/LOOKOUT_WEBHOOKS/);
  });
});
