// The feed page in a real browser, against the real server: what a user sees and does.
import { mkdir } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.ts';
import { runCli } from './cli-helpers.ts';
import { RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

const browser = useBrowser();
let server: TestServer;
afterEach(() => server?.stop());

const SCREENSHOTS = new URL('../test-results/', import.meta.url).pathname;
const SESSION_STATE = `query($id: ID!) { session(id: $id) { seenAt snoozedUntil attention { reason } } }`;

/** The session as the server has it, once `stored` holds (an optimistic action is stored just after the page shows it). */
async function storedOnce(id: string, stored: (session: any) => boolean) {
  let session: any;
  await expect.poll(async () => stored((session = (await server.gql(SESSION_STATE, { id })).data.session))).toBe(true);
  return session;
}

const needsYou = (page: Page) => page.getByRole('region', { name: /Needs you/ });
const inFocus = (page: Page) => page.getByRole('region', { name: /In focus/ });
const item = (page: Page | Locator, title: string) => page.getByRole('listitem').filter({ hasText: title });

async function openFeed(url: string): Promise<Page> {
  const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(url.replace(/\/graphql$/, '/'));
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  return page;
}

async function permissionPrompt(sessionId: string, title: string, extra: Record<string, unknown> = {}) {
  await server.gql(RECORD_SPEAKER, { input: { sessionId, speaker: 'USER', title, project: 'lookout', branch: 'main', ...extra } });
  await server.gql(RECORD_ACTIVITY, { input: { sessionId, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: npm publish' } });
}

describe('the feed page', () => {
  it('shows a permission prompt as it happens, and drops it when the user replies', async () => {
    server = await startServer();
    const page = await openFeed(server.url);
    await expect.poll(() => page.locator('.summary').innerText()).toBe('All clear');

    await permissionPrompt('s1', 'Ship the release');
    const shown = item(needsYou(page), 'Ship the release');
    await shown.waitFor();
    await expect.poll(() => shown.innerText()).toMatch(/Waiting for permission[\s\S]*Bash: npm publish/i);
    expect(await page.title()).toMatch(/^\(1\) Lookout/);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,.*%3E1%3C/); // a "1" badge

    await server.gql(RECORD_SPEAKER, { input: { sessionId: 's1', speaker: 'USER' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 's1', state: 'WORKING' } });
    await shown.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('.summary').innerText()).toBe('All clear');
    await page.close();
  });

  it('applies live changes where they belong, in the server\'s order, without refetching the feed', async () => {
    server = await startServer();
    await permissionPrompt('a', 'Alpha', { project: 'shop' });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'b', speaker: 'ASSISTANT', title: 'Bravo', project: 'blog' } });
    const page = await openFeed(server.url);
    await item(page, 'Bravo').waitFor();
    const feedQueries: string[] = [];
    // urql sends queries as GET (operationName in the URL), or POST when long.
    page.on('request', (request) => {
      const url = new URL(request.url());
      const operation = url.searchParams.get('operationName') ?? (JSON.parse(request.postData() || '{}') as { operationName?: string }).operationName;
      if (url.pathname === '/graphql' && operation === 'Feed') feedQueries.push(request.url());
    });
    const pageOrder = () => page.locator('[data-session-id]').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.sessionId));
    const serverOrder = async () => (await server.gql('{ attentionSessions { edges { node { id } } } }')).data.attentionSessions.edges.map((e: { node: { id: string } }) => e.node.id);

    // Enters, moves up (a wait outranks a reply), moves down, leaves, comes back; another project too.
    await permissionPrompt('c', 'Charlie', { project: 'shop' });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'b', state: 'WAITING', waitReason: 'QUESTION', waitDetail: 'Which one?' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'a', speaker: 'USER' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'a', state: 'WORKING' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'd', speaker: 'ASSISTANT', title: 'Delta', project: 'docs' } });
    await server.gql(`mutation { closeSession(input: {sessionId: "c", closedBy: AUTO}) { __typename } }`);
    await expect.poll(pageOrder).toEqual(await serverOrder());
    expect(await pageOrder()).toEqual(['b', 'd', 'c']);

    // With a project chosen, its list follows the changes too, and so does the list of projects.
    await page.locator('select').selectOption('shop');
    await expect.poll(pageOrder).toEqual(['c']);
    await permissionPrompt('e', 'Echo', { project: 'shop' });
    await permissionPrompt('f', 'Foxtrot', { project: 'music' });
    await expect.poll(pageOrder).toEqual(['e', 'c']);
    await expect.poll(() => page.locator('select option').allTextContents()).toContain('music');
    // The project's list was loaded once when chosen; no change refetched any list.
    expect(feedQueries).toHaveLength(1);
    await page.close();
  });

  it('tells a new user, on an empty feed, the one command that connects an agent', async () => {
    server = await startServer();
    const page = await openFeed(server.url);
    await page.getByText('npx lookout install claude-code --user').waitFor();
    await permissionPrompt('first', 'The first one');
    await item(needsYou(page), 'The first one').waitFor();
    expect(await page.getByText('npx lookout install claude-code --user').count()).toBe(0);
    await page.close();
  });

  it('on an empty feed while sessions work, says all is quiet rather than that no agent reported', async () => {
    server = await startServer();
    await permissionPrompt('busy', 'Busy one');
    const page = await openFeed(server.url);
    await item(needsYou(page), 'Busy one').waitFor();
    // Answered in the terminal: the session works on, and the feed empties.
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'busy', state: 'WORKING' } });
    await page.getByText('All quiet: 1 session working, none needs you.').waitFor();
    expect(await page.getByText(/No agent has reported yet/).count()).toBe(0);
    await page.close();
  });

  it('says when hooks are being refused (a token turned on after install), and stops once one is taken again', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'page-token' });
    const hook = (token?: string) =>
      fetch(`${server.url.replace(/\/graphql$/, '')}/hooks/claude-code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ session_id: 'hooked', hook_event_name: 'UserPromptSubmit', prompt: 'Fix it' }),
      });
    expect((await hook()).status).toBe(401);
    expect((await hook('lk_wrong')).status).toBe(401);
    const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(server.url.replace(/\/graphql$/, '/'));
    await page.getByLabel(/needs its token/).fill('page-token');
    await page.getByRole('button', { name: 'Open the feed' }).click();
    const warning = page.getByRole('alert').filter({ hasText: /Hooks from 127\.0\.0\.1 were refused 2 times since .+: their token is missing, wrong or revoked/ });
    await warning.waitFor();
    expect(await warning.innerText()).toContain('lookout doctor');
    expect((await hook('page-token')).status).toBe(204);
    // The page asks again when its window comes back to the front.
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await warning.waitFor({ state: 'detached' });
    await page.close();
  });

  it('finds hidden sessions again and unhides them, on the page and from the CLI', async () => {
    server = await startServer();
    await permissionPrompt('h1', 'Hidden one');
    await permissionPrompt('h2', 'Hidden two');
    const page = await openFeed(server.url);
    await item(page, 'Hidden one').getByRole('button', { name: 'Hide' }).click();
    await item(page, 'Hidden two').getByRole('button', { name: 'Hide' }).click();
    await item(needsYou(page), 'Hidden one').waitFor({ state: 'detached' });
    await page.getByText('Hidden sessions').click();
    const hidden = page.locator('.hidden-sessions');
    await hidden.getByText('Hidden one').waitFor();
    await hidden.getByRole('listitem').filter({ hasText: 'Hidden one' }).getByRole('button', { name: 'Unhide' }).click();
    await item(needsYou(page), 'Hidden one').waitFor();
    const env = { LOOKOUT_URL: server.url.replace(/\/graphql$/, '') };
    expect((await runCli(['ls', '--hidden'], env)).stdout).toMatch(/^h2 {2}Hidden two/m);
    expect(await runCli(['unhide', 'h2'], env)).toMatchObject({ code: 0 });
    await item(needsYou(page), 'Hidden two').waitFor();
    await page.close();
  });

  it('marks a need that dragged on as escalated, live', async () => {
    server = await startServer({ LOOKOUT_ESCALATE_MINUTES: '0.01' });
    const page = await openFeed(server.url);
    await permissionPrompt('esc', 'Waits too long');
    const shown = item(needsYou(page), 'Waits too long');
    await shown.getByText('Still waiting').waitFor({ timeout: 5_000 });
    await page.close();
  });

  it('snoozes and marks seen from the page, and the server agrees', async () => {
    server = await startServer();
    await permissionPrompt('snooze-me', 'Snooze me');
    await permissionPrompt('seen-me', 'Seen me');
    const page = await openFeed(server.url);
    await item(needsYou(page), 'Snooze me').waitFor();

    await item(page, 'Snooze me').getByText('Snooze', { exact: true }).click();
    await item(page, 'Snooze me').getByRole('button', { name: '1 hour' }).click();
    await item(page, 'Snooze me').waitFor({ state: 'detached' });
    // The page is optimistic: the item leaves at once, and the server stores the action meanwhile.
    const snoozed = await storedOnce('snooze-me', (session) => session.snoozedUntil !== null);
    expect(new Date(snoozed.snoozedUntil).getTime()).toBeGreaterThan(Date.now() + 55 * 60_000);
    expect(snoozed.attention).toBeNull();

    await item(page, 'Seen me').getByRole('button', { name: 'Seen' }).click();
    await item(page, 'Seen me').waitFor({ state: 'detached' });
    const seen = await storedOnce('seen-me', (session) => session.seenAt !== null);
    expect(seen.attention).toBeNull();
    await page.close();
  });

  it('shows a failed action plainly, and the item comes back', async () => {
    server = await startServer();
    await permissionPrompt('stays', 'Stays in the feed');
    const page = await openFeed(server.url);
    const shown = item(needsYou(page), 'Stays in the feed');
    await shown.waitFor();
    await page.context().setOffline(true);
    await shown.getByRole('button', { name: 'Seen' }).click();
    await page.getByRole('alert').filter({ hasText: /Could not mark as seen "Stays in the feed"/ }).waitFor();
    await shown.waitFor();
    await page.context().setOffline(false);
    expect((await server.gql(SESSION_STATE, { id: 'stays' })).data.session.seenAt).toBeNull();
    await page.close();
  });

  it('works from the keyboard: j/k move, e marks seen', async () => {
    server = await startServer();
    await permissionPrompt('k1', 'First one');
    await permissionPrompt('k2', 'Second one');
    const page = await openFeed(server.url);
    await item(page, 'First one').waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const selected = page.locator('[aria-current="true"]');
    await expect.poll(() => selected.innerText()).toMatch(/First one/); // the older of the two is second
    await page.keyboard.press('e');
    await item(page, 'First one').waitFor({ state: 'detached' });
    await storedOnce('k1', (session) => session.seenAt !== null);
    await page.close();
  });

  it('reconnects after a server restart and catches up on what changed meanwhile', async () => {
    server = await startServer();
    const { database, port } = server;
    await permissionPrompt('before', 'Before the restart');
    const page = await openFeed(server.url);
    await item(needsYou(page), 'Before the restart').waitFor();

    await server.stop();
    await page.getByRole('status').filter({ hasText: /Reconnecting|Offline/ }).waitFor({ timeout: 5_000 });
    // Offline, the page says so plainly and its actions are off.
    await page.getByText(/Offline: what you see may be out of date/).waitFor();
    expect(await item(page, 'Before the restart').getByRole('button', { name: 'Seen' }).isDisabled()).toBe(true);
    // Changes while the page's server is down, through another instance on the same file...
    server = await startServer({}, { database });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'during', speaker: 'ASSISTANT', title: 'Finished while you were away' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'before', speaker: 'USER' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'before', state: 'WORKING' } });
    await server.stop();
    // ...so they can only reach the page by replay once its server is back.
    server = await startServer({ PORT: String(port) }, { database });

    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await item(needsYou(page), 'Finished while you were away').waitFor();
    await item(page, 'Before the restart').waitFor({ state: 'detached' });
    await page.close();
  });

  it('asks for the token once and keeps it', async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'page-token' });
    await permissionPrompt('t1', 'Behind a token');
    const page = await browser().newPage();
    await page.goto(server.url.replace(/\/graphql$/, '/'));
    await page.getByLabel(/needs its token/).fill('page-token');
    await page.getByRole('button', { name: 'Open the feed' }).click();
    await item(needsYou(page), 'Behind a token').waitFor();
    await page.reload();
    await item(needsYou(page), 'Behind a token').waitFor();
    await page.close();
  });

  it('renders a populated feed (screenshot for the record)', async () => {
    server = await startServer();
    await permissionPrompt('p1', 'Add the attention feed', { host: 'laptop' });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'p2', speaker: 'ASSISTANT', title: 'Fix invoice rounding', project: 'billing', host: 'desktop' } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'p3', speaker: 'USER', title: 'Upgrade the CI runners', project: 'infra', host: 'desktop' } });
    await server.gql(`mutation { closeSession(input: {sessionId: "p3", closedBy: AUTO}) { __typename } }`);
    const page = await openFeed(server.url);
    await item(inFocus(page), 'Upgrade the CI runners').waitFor();
    await expect.poll(() => page.locator('.summary').innerText()).toBe('2 need you · 1 in focus');
    expect(await item(page, 'Fix invoice rounding').innerText()).toMatch(/on desktop/); // several hosts report
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}feed.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: `${SCREENSHOTS}feed-phone.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SCREENSHOTS}feed-phone-dark.png`, fullPage: true });
    await page.close();
  });
});
