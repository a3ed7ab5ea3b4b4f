// Push, installed and offline, in Chromium with a profile of its own: "Notify me on this device",
// the page telling the server while it is in front of its user, the service worker showing a real
// push (relayed from the loopback push service, still encrypted only to the test's keys), and its
// click and Allow/Deny handling; the install criteria and the offline start.
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { launchProfile } from './browser.ts';
import { pushMessage } from '../api/notify/push.ts';
import { LICENSE_QUESTION } from './fixtures/questions.ts';
import { askPermission, collect, FEED_EVENT, startServer, subscribersListening, type TestServer } from './helpers.ts';
import { type BrowserSubscription, browserSubscription, decrypt, type PushService, startPushService } from './push-service.ts';

let server: TestServer;
let service: PushService;
let context: BrowserContext;
let context2: BrowserContext | undefined;
afterEach(async () => {
  await context?.close();
  await context2?.close();
  context2 = undefined;
  await server?.stop();
  service?.close();
});

const TOKEN = 'push-page-token';
const origin = () => server.url.replace(/\/graphql$/, '');

/**
 * The browser's push subscription. Chromium subscribes through Google's push service, which this
 * machine cannot reach, so the test stands in for it: `subscribe` hands out the loopback push
 * service's endpoint and the test's keys, with the server key the page asked with, as a browser
 * does. Everything after it (what the page sends, what Lookout encrypts and pushes) is real.
 */
async function standInPushSubscription(page: Page, endpoint: string, keys: BrowserSubscription) {
  await page.addInitScript(
    ({ endpoint, p256dh, auth }) => {
      const bytes = (b64: string) => Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
      let current: PushSubscription | null = null;
      PushManager.prototype.getSubscription = async () => current;
      PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
        if (Notification.permission !== 'granted') throw new DOMException('Registration failed - permission denied', 'NotAllowedError');
        const applicationServerKey = options?.applicationServerKey as Uint8Array;
        current = {
          endpoint,
          expirationTime: null,
          options: { userVisibleOnly: true, applicationServerKey: applicationServerKey.slice().buffer },
          getKey: (name: string) => bytes(name === 'p256dh' ? p256dh : auth),
          unsubscribe: async () => ((current = null), true),
          toJSON: () => ({ endpoint, keys: { p256dh, auth } }),
        } as unknown as PushSubscription;
        return current;
      };
      // Whether the page is in front of its user, as the test says.
      (window as unknown as { inFront: boolean }).inFront = true;
      document.hasFocus = () => (window as unknown as { inFront: boolean }).inFront;
    },
    { endpoint, p256dh: keys.p256dh, auth: keys.auth },
  );
}

/** The page, signed in with the token as a user would, live. */
async function openFeed(): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

async function signIn(page: Page) {
  await page.goto(`${origin()}/`);
  await page.getByLabel(/needs its token/).fill(TOKEN);
  await page.getByRole('button', { name: 'Open the feed' }).click();
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
}

/** What the tests use of a service worker's global scope (the WebWorker lib does not mix with DOM's). */
interface WorkerScope {
  registration: { getNotifications(filter?: { tag: string }): Promise<(Notification & { actions: { title: string }[] })[]> };
  dispatchEvent(event: Event): boolean;
  PushEvent: new (type: 'push', init: { data: string }) => Event;
  NotificationEvent: new (type: 'notificationclick', init: { notification: Notification; action: string }) => Event;
}

/**
 * The browser's push service hands a message to the page's worker; resolves once the worker shows
 * it (Chromium fetches the notification's icon first, which a loaded machine can take its time for).
 */
const deliverPush = (message: { tag: string } & Record<string, unknown>) =>
  onlyWorker().evaluate(async (data) => {
    const scope = self as unknown as WorkerScope;
    const shown = async () => (await scope.registration.getNotifications({ tag: JSON.parse(data).tag })).length > 0;
    scope.dispatchEvent(new scope.PushEvent('push', { data }));
    for (const deadline = Date.now() + 10_000; !(await shown()); await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (Date.now() > deadline) throw new Error('The worker did not show the pushed notification within 10 s');
    }
  }, JSON.stringify(message));

/** The page's service worker: one, or the test says how many Chromium runs. */
function onlyWorker() {
  const workers = context.serviceWorkers();
  if (workers.length !== 1) throw new Error(`Expected one service worker, Chromium runs ${workers.length}: ${workers.map((w) => w.url()).join(', ')}`);
  return workers[0]!;
}

const shownNotifications = (page: Page) =>
  page.evaluate(async () =>
    (await ((await navigator.serviceWorker.ready) as unknown as WorkerScope['registration']).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((a) => a.title) })),
  );

/** A click on the notification the worker shows for a session, on its body ('') or an action. */
const clickNotification = (sessionTag: string, action: string) =>
  onlyWorker().evaluate(
    async ({ tag, action }) => {
      const scope = self as unknown as WorkerScope;
      const [notification] = await scope.registration.getNotifications({ tag });
      scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: notification!, action }));
    },
    { tag: sessionTag, action },
  );

describe('push on the page', () => {
  it('"Notify me on this device" subscribes it; while the page is in front of its user nothing is pushed to it; the worker shows the push, and Allow answers the prompt', async () => {
    service = await startPushService();
    server = await startServer({ ...service.lookout.env, LOOKOUT_TOKEN: TOKEN }, { deliveries: service.lookout.deliveries });
    context = await launchProfile();
    await context.grantPermissions(['notifications'], { origin: origin() });
    const keys = browserSubscription();
    const page = await openFeed();
    await standInPushSubscription(page, `${service.origin}/push/laptop`, keys);
    await signIn(page);

    const lookingSaid = told(page, true);
    await page.getByRole('button', { name: 'Notify me on this device' }).click();
    await page.getByText('This device is notified when a session needs you.').waitFor();
    await lookingSaid;
    const devices = await server.gql('query { pushDevices { endpoint label } }');
    expect(devices.data.pushDevices).toEqual([{ endpoint: `${service.origin}/push/laptop`, label: 'Chrome on Linux' }]);

    // In front of its user: the first prompt is not pushed. Then the user looks away.
    await askPermission(server, 'seen', 'git status');
    await item(page, 'shop').waitFor();
    const awaySaid = told(page, false);
    await page.evaluate(() => {
      (window as unknown as { inFront: boolean }).inFront = false;
      window.dispatchEvent(new Event('blur'));
    });
    await awaySaid;
    const feed = collect(server.wsClient(), FEED_EVENT, { after: server.attention.latestSeq });
    await subscribersListening(server, 2);
    await askPermission(server, 'away', 'npm publish');
    const [pushed] = await service.next(1);
    const message = decrypt(pushed!, keys) as { sessionId: string; tag: string; answer: { requestId: string } };
    expect(message).toMatchObject({ sessionId: 'away', body: 'Waiting for permission · Bash: npm publish', answer: { requestId: 'away:ask-away' } });

    // The push service delivers it to the browser's worker, which shows it with Allow and Deny.
    await deliverPush(message);
    await expect.poll(() => shownNotifications(page)).toEqual([{ title: 'shop', body: 'Waiting for permission · Bash: npm publish', tag: 'session-away', actions: ['Allow once', 'Deny'] }]);

    // Allow, from the notification, with the page's token: the prompt is answered.
    await clickNotification('session-away', 'allow');
    await feed.next(2);
    // Answered, and then the waiting hook says it received the answer.
    const lastTwo = async () => (await server.gql(`query { session(id: "away") { events(last: 2) { edges { node { kind input } } } } }`)).data.session.events.edges.map((e: any) => e.node);
    await expect.poll(lastTwo).toEqual([
      { kind: 'ANSWER', input: expect.stringContaining('"decision":"ALLOW_ONCE"') },
      { kind: 'DELIVER', input: '{"requestId":"away:ask-away"}' },
    ]);
    expect((await server.gql(`query { session(id: "away") { pendingPermission { id } } }`)).data.session.pendingPermission).toBeNull();

    // The same Allow again (a stale notification): not answered, and the worker says why.
    await deliverPush(message);
    await expect.poll(() => shownNotifications(page).then((n) => n.length)).toBe(1);
    await clickNotification('session-away', 'allow');
    await expect.poll(() => shownNotifications(page)).toEqual([{ title: 'shop', body: expect.stringMatching(/^Not answered: .*already answered/i), tag: 'session-away', actions: [] }]);
    feed.unsubscribe();
  });

  it("a click on a notification opens the feed at the session; Deny from it denies", async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    context = await launchProfile();
    await context.grantPermissions(['notifications'], { origin: origin() });
    const page = await openFeed();
    await signIn(page);
    await askPermission(server, 'first', 'ls');
    await askPermission(server, 'second', 'rm -rf build');
    await item(page, 'rm -rf build').waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready);
    const push = (sessionId: string, requestId: string) =>
      deliverPush({ sessionId, title: 'shop', body: 'Waiting for permission', tag: `session-${sessionId}`, url: `/?session=${sessionId}`, escalated: false, answer: { requestId, kind: 'PERMISSION' } });
    await push('second', 'second:ask-second');
    await expect.poll(() => shownNotifications(page).then((n) => n.length)).toBe(1);
    await clickNotification('session-second', '');
    await expect.poll(() => page.locator('[aria-current="true"]').innerText()).toMatch(/rm -rf build/);

    await push('first', 'first:ask-first');
    await expect.poll(() => shownNotifications(page).then((n) => n.length)).toBe(1);
    await clickNotification('session-first', 'deny');
    await expect
      .poll(async () => (await server.gql(`query { session(id: "first") { events(last: 2) { edges { node { kind input } } } } }`)).data.session.events.edges.map((e: any) => e.node.input).join())
      .toContain('"decision":"DENY"');
  });

  it('a question of one choice between two shows its options as buttons; one answers it', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    context = await launchProfile();
    await context.grantPermissions(['notifications'], { origin: origin() });
    const page = await openFeed();
    await signIn(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await askPermission(server, 'q', { tool_name: 'AskUserQuestion', tool_input: { questions: [LICENSE_QUESTION] } });
    // The message the server pushes for it (the first test follows one through a push service).
    const item = server.attention.feed().find((entry) => entry.session.id === 'q')!;
    const message = pushMessage('needs_you', { kind: 'change', seq: server.attention.latestSeq, session: item.session, attention: item.attention, previous: null, project: 'shop', previousProject: null }, new Date());
    expect(message.answer).toEqual({ requestId: 'q:ask-q', kind: 'QUESTION', question: LICENSE_QUESTION.question, options: ['MIT', 'Apache-2.0'] });
    await deliverPush({ ...message });
    await expect.poll(() => shownNotifications(page)).toEqual([{ title: expect.any(String), body: expect.stringContaining(LICENSE_QUESTION.question), tag: 'session-q', actions: ['MIT', 'Apache-2.0'] }]);
    await clickNotification('session-q', 'option-1');
    await expect
      .poll(async () => (await server.gql(`query { session(id: "q") { events(last: 2) { edges { node { kind input } } } } }`)).data.session.events.edges.map((e: any) => e.node.kind))
      .toEqual(['ANSWER', 'DELIVER']);
    const answer = (await server.gql(`query { session(id: "q") { events(last: 2) { edges { node { input } } } } }`)).data.session.events.edges[0].node.input;
    expect(JSON.parse(answer).answers).toEqual([{ question: LICENSE_QUESTION.question, choices: ['Apache-2.0'] }]);
  });

  it('meets the install criteria (manifest, icons, worker), and opens offline saying so, with its actions off', async () => {
    server = await startServer();
    context = await launchProfile();
    const page = await openFeed();
    await page.goto(`${origin()}/`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    expect(await cdp.send('Page.getInstallabilityErrors')).toEqual({ installabilityErrors: [] });
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(JSON.parse(manifest.data!)).toMatchObject({ name: 'Lookout', display: 'standalone', start_url: '/' });

    // The worker kept the shell at install: the page opens with Lookout unreachable, and says so.
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Lookout is offline: this device cannot reach it.' }).waitFor();
    await page.getByRole('status').filter({ hasText: /Offline|Reconnecting/ }).waitFor();
    // Its data was never kept: nothing of the feed shows, and nothing offers to act.
    expect(await page.getByRole('region', { name: /Needs you/ }).count()).toBe(0);
    expect(await page.getByRole('button').count()).toBe(0);
    await context.setOffline(false);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.getByRole('region', { name: /Needs you/ }).waitFor();
  });
});

const item = (page: Page, text: string) => page.getByRole('listitem').filter({ hasText: text });

/** The server's answer to the page saying whether it is in front of its user. */
const told = (page: Page, looking: boolean) =>
  page.waitForResponse((response) => {
    const body = response.request().postData() ?? '';
    return body.includes('setDeviceLooking') && body.includes(`"looking":${looking}`);
  }, { timeout: 10_000 });

describe('notification settings on the page', () => {
  it('the policy set on one device is what every device shows and the server follows; devices and (for an admin) webhooks are listed with their last delivery', async () => {
    service = await startPushService();
    server = await startServer({ ...service.lookout.env, LOOKOUT_TOKEN: TOKEN }, { deliveries: service.lookout.deliveries });
    context = await launchProfile();
    await context.grantPermissions(['notifications'], { origin: origin() });
    await askPermission(server, 's1', 'ls');
    const page = await openFeed();
    await standInPushSubscription(page, `${service.origin}/push/laptop`, browserSubscription());
    await signIn(page);
    await page.getByRole('button', { name: 'Notify me on this device' }).click();
    await page.getByText('This device is notified when a session needs you.').waitFor();

    await page.getByText('Notifications', { exact: true }).click();
    await page.getByRole('radio', { name: /Quiet: waits and failures only/ }).check();
    await page.getByRole('checkbox', { name: 'shop' }).check();
    await page.getByLabel('From').fill('22:00');
    await page.getByLabel('until').fill('07:00');
    await page.getByRole('spinbutton').fill('3');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: every device follows it.' }).waitFor();
    const { data } = await server.gql('query { notificationPolicy { mode mutedProjects quietFrom quietUntil timeZone escalateAfterMinutes } }');
    expect(data.notificationPolicy).toEqual({ mode: 'QUIET', mutedProjects: ['shop'], quietFrom: 22 * 60, quietUntil: 7 * 60, timeZone: 'UTC', escalateAfterMinutes: 3 });

    // Another device opens the page: the same policy, and this laptop among the devices.
    context2 = await launchProfile();
    const other = await context2.newPage();
    await signIn(other);
    await other.getByText('Notifications', { exact: true }).click();
    expect(await other.getByRole('radio', { name: /Quiet/ }).isChecked()).toBe(true);
    expect(await other.getByRole('checkbox', { name: 'shop' }).isChecked()).toBe(true);
    expect(await other.getByRole('spinbutton').inputValue()).toBe('3');
    await other.getByRole('listitem').filter({ hasText: 'Chrome on Linux' }).filter({ hasText: 'nothing pushed yet' }).waitFor();

    // The admin adds a webhook and sees how its deliveries go.
    await other.getByLabel('URL').fill('https://127.0.0.1:9/hook');
    await other.getByRole('checkbox', { name: 'only escalations' }).check();
    await other.getByRole('button', { name: 'Add webhook' }).click();
    await other.getByRole('listitem').filter({ hasText: 'https://127.0.0.1:9/hook' }).filter({ hasText: 'slack · escalations only · nothing sent yet' }).waitFor();
    // A bad URL is refused, saying why.
    await other.getByLabel('URL').fill('ftp://example.com/x');
    await other.getByRole('button', { name: 'Add webhook' }).click();
    await other.getByRole('status').filter({ hasText: /http or https URL/ }).waitFor();
  });
});
