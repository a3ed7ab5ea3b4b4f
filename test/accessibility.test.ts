// The feed page as a keyboard or screen-reader user meets it, in Chromium: axe-core finds no WCAG
// A/AA violation, and what axe cannot see is walked through here: focus never lost, one menu at a
// time, a busy state while the server answers, a header that covers nothing and fits a phone.
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { axeViolations, useBrowser } from './browser.ts';
import { askPermission, RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

const browser = useBrowser();
let server: TestServer;
afterEach(() => server?.stop());

async function openFeed(viewport = { width: 1100, height: 800 }): Promise<Page> {
  const page = await browser().newPage({ viewport });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(server.url.replace(/\/graphql$/, '/'));
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  // The header is whole once the page knows this browser is not yet notified (its service worker
  // answers after the first render): only then is its last control, and its height, final.
  await page.getByRole('button', { name: /^Notify me/ }).waitFor();
  return page;
}

async function waiting(sessionId: string, title: string, detail = 'Bash: npm test') {
  await server.gql(RECORD_SPEAKER, { input: { sessionId, speaker: 'USER', title, project: 'shop', branch: 'main' } });
  await server.gql(RECORD_ACTIVITY, { input: { sessionId, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: detail } });
}

/** The session whose item has the focus, or what else has it. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement;
    const item = active?.closest<HTMLElement>('[data-session-id]');
    return item ? `item: ${item.dataset.sessionId}` : `${active?.tagName.toLowerCase()}${active?.id ? `#${active.id}` : ''}: ${active?.textContent?.trim().slice(0, 40)}`;
  });

describe('accessibility', () => {
  it('axe-core finds no WCAG A/AA violation, light or dark, wide or on a phone, with a prompt, a long detail and a menu open', async () => {
    server = await startServer();
    await askPermission(server, 'p1', 'npm publish --tag next');
    await waiting('w1', 'Long detail', `Bash: ${'node scripts/build.mjs --target production '.repeat(12)}`);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'r1', speaker: 'ASSISTANT', title: 'Replied', project: 'blog' } });
    const page = await openFeed();
    await page.getByRole('listitem').filter({ hasText: 'Replied' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('listitem').filter({ hasText: 'Replied' }).getByText('Snooze').click();
    await page.getByText('Notifications', { exact: true }).click();
    await page.getByText('Hidden sessions').click();
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await axeViolations(page)).toEqual([]);
    // One polite live region for the feed's news; the summary line is not one.
    expect(await page.locator('[aria-live]').count()).toBe(1);
    expect(await page.locator('.summary').getAttribute('aria-live')).toBeNull();
    await page.close();
  });

  it('a keyboard-only walk: Tab reaches the feed, arrows and j/k move the focus, e and s keep the place, the focus never falls to the page', async () => {
    server = await startServer();
    for (const [id, title] of [['a', 'Alpha'], ['b', 'Bravo'], ['c', 'Charlie'], ['d', 'Delta']] as const) await waiting(id, title);
    const page = await openFeed();
    await page.getByRole('listitem').filter({ hasText: 'Delta' }).waitFor();
    const order = await page.locator('[data-session-id]').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.sessionId!));
    // One tab stop for the whole list (roving tabindex).
    expect(await page.locator('[data-session-id][tabindex="0"]').count()).toBe(1);
    await page.locator('header.top').locator('select, button').last().focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe(`item: ${order[0]}`);
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe(`item: ${order[1]}`);
    await page.keyboard.press('j');
    expect(await focused(page)).toBe(`item: ${order[2]}`);
    await page.keyboard.press('k');
    expect(await focused(page)).toBe(`item: ${order[1]}`);
    // From inside an item (its Seen button), j still moves.
    await page.locator('[data-session-id]').nth(1).getByRole('button', { name: 'Seen' }).focus();
    await page.keyboard.press('j');
    expect(await focused(page)).toBe(`item: ${order[2]}`);

    // e: seen; the item leaves and the focus takes the next one's place.
    await page.keyboard.press('e');
    await page.locator(`[data-session-id="${order[2]}"]`).waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe(`item: ${order[3]}`);
    // s: snoozed; the last item leaves, the focus goes to the one before.
    await page.keyboard.press('s');
    await expect.poll(() => focused(page)).toBe(`item: ${order[1]}`);

    // Another client marks the focused item seen: the focus moves on, not to the page.
    await server.gql(`mutation { markSeen(sessionId: "${order[1]}") { __typename } }`);
    await expect.poll(() => focused(page)).toBe(`item: ${order[0]}`);
    // The last one leaves: the focus goes to the section's heading.
    await server.gql(`mutation { markSeen(sessionId: "${order[0]}") { __typename } }`);
    await expect.poll(() => focused(page)).toMatch(/^h2#heading-NEEDS_YOU/);

    // Single-key shortcuts can be turned off (WCAG 2.1.4), and stay off.
    await waiting('e', 'Echo');
    await page.getByRole('checkbox', { name: 'Single-key shortcuts' }).uncheck();
    await page.locator('[data-session-id]').first().focus();
    await page.keyboard.press('e');
    await page.reload();
    await page.getByRole('listitem').filter({ hasText: 'Echo' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Single-key shortcuts' }).isChecked()).toBe(false);
    await page.close();
  });

  it('the snooze menu: Escape closes it back to Snooze, one open at a time, closed by a click outside; it covers no other card', async () => {
    server = await startServer();
    await waiting('a', 'Alpha');
    await waiting('b', 'Bravo');
    const page = await openFeed();
    await page.getByRole('listitem').filter({ hasText: 'Bravo' }).waitFor();
    // The first card's menu, and the card under it.
    const [alpha, bravo] = [page.locator('[data-session-id]').first(), page.locator('[data-session-id]').nth(1)];
    await alpha.getByText('Snooze').focus();
    await page.keyboard.press('Enter');
    await alpha.getByRole('button', { name: '15 min' }).waitFor();
    // Each choice on one line, and the open menu inside its own card.
    for (const name of ['15 min', '1 hour', 'Tomorrow 9:00']) expect((await alpha.getByRole('button', { name }).boundingBox())!.height).toBeLessThan(40);
    const [menu, next] = [(await alpha.locator('.menu').boundingBox())!, (await bravo.boundingBox())!];
    const card = (await alpha.boundingBox())!;
    expect(menu.y).toBeGreaterThanOrEqual(card.y);
    expect(menu.y + menu.height).toBeLessThanOrEqual(next.y);
    await page.keyboard.press('Escape');
    await alpha.getByRole('button', { name: '15 min' }).waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Snooze');

    await alpha.getByText('Snooze').click();
    await bravo.getByText('Snooze').click();
    await bravo.getByRole('button', { name: '15 min' }).waitFor();
    expect(await alpha.getByRole('button', { name: '15 min' }).isVisible()).toBe(false);
    await page.locator('h1').click();
    await bravo.getByRole('button', { name: '15 min' }).waitFor({ state: 'hidden' });
    await page.close();
  });

  it('an answer shows its busy state until a slow server answers: no second answer meanwhile; a failure is said on the item', async () => {
    server = await startServer();
    await askPermission(server, 'p1', 'npm publish');
    const page = await openFeed();
    const item = page.getByRole('listitem').filter({ hasText: 'npm publish' });
    await item.getByRole('button', { name: 'Allow once' }).waitFor();
    // The network is slow: the answer's request is held until the test lets it go.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/graphql', async (route) => {
      if (route.request().postData()?.includes('AnswerPermission')) await held;
      await route.continue();
    });
    await item.getByRole('button', { name: 'Allow once' }).click();
    await item.getByText('Sending your answer…').waitFor();
    expect(await item.getByRole('button', { name: 'Allow once' }).isDisabled()).toBe(true);
    expect(await item.getByRole('button', { name: 'Seen' }).isDisabled()).toBe(true);
    expect(await item.getAttribute('aria-busy')).toBe('true');
    // Meanwhile the prompt was answered in the terminal (the tool ran): the page's answer is refused, and says why.
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'p1', state: 'WORKING' } });
    release();
    await page.getByRole('alert').filter({ hasText: /Could not answer .*terminal/ }).waitFor();
    await page.close();
  });

  it('the sticky header never covers the focused item; on a phone it takes one line, and a short window does not keep it', async () => {
    server = await startServer();
    for (let i = 0; i < 12; i++) await waiting(`s${i}`, `Session number ${i}`);
    const page = await openFeed({ width: 1100, height: 600 });
    await page.getByRole('listitem').filter({ hasText: 'Session number 11' }).waitFor();
    await page.locator('[data-session-id]').first().focus();
    for (let i = 0; i < 11; i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 11; i++) await page.keyboard.press('ArrowUp');
    const header = (await page.locator('header.top').boundingBox())!;
    const first = (await page.locator('[data-session-id]').first().boundingBox())!;
    expect(first.y).toBeGreaterThanOrEqual(header.y + header.height);

    await page.setViewportSize({ width: 390, height: 800 });
    const tops = await page.locator('header.top > *').evaluateAll((children) => children.map((c) => Math.round(c.getBoundingClientRect().top)));
    expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(20);
    expect((await page.locator('header.top').boundingBox())!.height).toBeLessThan(60);

    await page.setViewportSize({ width: 800, height: 380 });
    expect(await page.locator('header.top').evaluate((h) => getComputedStyle(h).position)).toBe('static');
    await page.close();
  });
});
