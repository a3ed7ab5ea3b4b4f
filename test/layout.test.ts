// The feed page at the widths people open it at (a small phone to a wide screen), light and dark,
// in Chromium: no label, button, input or heading has its text cut, and an open menu covers no
// other control.
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.ts';
import { LICENSE_QUESTION } from './fixtures/questions.ts';
import { askPermission, RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

const browser = useBrowser();
let server: TestServer;
afterEach(() => server?.stop());

const WIDTHS = [320, 390, 768, 1440];

async function openFeed(width: number, colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser().newPage({ viewport: { width, height: 900 }, colorScheme });
  await page.goto(server.url.replace(/\/graphql$/, '/'));
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  await page.getByRole('button', { name: /^Notify me/ }).waitFor();
  await page.getByRole('listitem').filter({ hasText: 'Replied at length' }).waitFor();
  return page;
}

/** Every visible control or text whose words do not fit: more text than box, or a placeholder wider than its field. */
const clipped = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.createElement('canvas').getContext('2d')!;
    const found: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>('button, label, input, select, summary, h1, h2, h3, legend, .summary, .where, .since, footer, footer *')) {
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      if (!box.width || style.visibility === 'hidden' || style.display === 'none' || element.closest('.visually-hidden, [hidden]')) continue;
      // Said only to screen readers: a 1px box by design.
      if (style.clipPath === 'inset(50%)') continue;
      const name = `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).split(' ')[0]}` : ''} "${(element.textContent || (element as HTMLInputElement).placeholder || '').trim().slice(0, 30)}"`;
      if (element.scrollWidth > element.clientWidth + 1 && style.overflowX !== 'auto' && style.overflowX !== 'scroll') found.push(`${name} overflows (${element.scrollWidth} > ${element.clientWidth})`);
      if (element instanceof HTMLInputElement && element.placeholder && !element.value) {
        canvas.font = style.font;
        const room = element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        if (canvas.measureText(element.placeholder).width > room + 1) found.push(`${name}: its placeholder is cut`);
      }
      // A word broken across lines (a hyphen the text does not have), as narrow columns do.
      if (style.hyphens === 'auto' || style.wordBreak === 'break-all') found.push(`${name} breaks words`);
    }
    return found;
  });

/** The controls an open menu lies over (other than its own). */
const covered = (page: Page) =>
  page.evaluate(() => {
    const open = document.querySelectorAll<HTMLElement>('details.snooze[open] .menu');
    if (open.length !== 1) return [`${open.length} menus open at once`];
    const menu = open[0]!;
    const box = menu.getBoundingClientRect();
    const found: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>('button, summary, input, a, select, h3')) {
      if (menu.contains(element) || element.closest('details.snooze[open]') === menu.closest('details')) continue;
      const other = element.getBoundingClientRect();
      if (!other.width || !other.height) continue;
      const overlaps = other.left < box.right && other.right > box.left && other.top < box.bottom && other.bottom > box.top;
      if (overlaps) found.push(`${element.tagName.toLowerCase()} "${element.textContent?.trim().slice(0, 30)}"`);
    }
    return found;
  });

describe('the page at every width', () => {
  // Two page loads and four menus opened a width: more than the usual limit on a loaded machine.
  it.each(WIDTHS)('at %i px cuts no text, light or dark, and an open Snooze menu covers no other control', { timeout: 60_000 }, async (width) => {
    server = await startServer();
    await askPermission(server, 'p1', 'npm publish --tag next --access public');
    await askPermission(server, 'q1', { tool_name: 'AskUserQuestion', tool_input: { questions: [LICENSE_QUESTION] } });
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'w1', speaker: 'USER', title: 'A title long enough to take two lines on a phone, as real ones do', project: 'a-rather-long-project-name', branch: 'feature/oauth-login' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'w1', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: 'Bash: npm test' } });
    // A turn that ended with the assistant's words, as Claude Code's hooks report it.
    for (const event of [
      { hook_event_name: 'UserPromptSubmit', prompt: 'Replied at length' },
      { hook_event_name: 'Stop', last_assistant_message: 'I updated the parser and the tests pass; next I would like to split the module into two files.' },
    ]) {
      const res = await fetch(server.url.replace(/\/graphql$/, '/hooks/claude-code'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session_id: 'r1', cwd: '/home/me/blog', ...event }) });
      expect(res.status).toBe(204);
    }
    const problems: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openFeed(width, colorScheme);
      problems.push(...(await clipped(page)).map((p) => `${width} px, ${colorScheme}: ${p}`));
      for (const title of ['Replied at length', 'A title long enough']) {
        const card = page.getByRole('listitem').filter({ hasText: title });
        await card.getByText('Snooze', { exact: true }).click();
        await card.getByRole('button', { name: '15 min' }).waitFor();
        problems.push(...(await covered(page)).map((c) => `${width} px, ${colorScheme}: the Snooze menu of "${title}" covers ${c}`));
        // Opened and closed by a click on Snooze (the keys, which need the focus there, have their own test).
        await card.getByText('Snooze', { exact: true }).click();
        await card.getByRole('button', { name: '15 min' }).waitFor({ state: 'hidden' });
      }
      await page.close();
    }
    expect(problems).toEqual([]);
  });
});
