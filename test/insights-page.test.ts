// The Insights view in Chromium: this week at a glance against last week, the days as a table with
// their bars, why agents waited, the rule to add, the waits behind a number; axe-core finds no
// WCAG A/AA violation in it, light or dark.
import { afterEach, describe, expect, it } from 'vitest';
import { axeViolations, useBrowser } from './browser.ts';
import { askPermission, RECORD_ACTIVITY, RECORD_SPEAKER, startServer, type TestServer } from './helpers.ts';

const browser = useBrowser();
let server: TestServer;
afterEach(() => server?.stop());

describe('the Insights view', () => {
  it('shows the week at a glance, per day as a table, why, the rule to add and the waits behind a number, with no axe violation', async () => {
    server = await startServer({ LOOKOUT_ESCALATE_MINUTES: '100000', LOOKOUT_STALE_MINUTES: '100000' });
    // A question of ten minutes (in UTC, the page's time zone here), answered in the terminal.
    // Today, as the prompts below: so that one row of the days holds all four, whenever this runs.
    const now = Date.now();
    const asked = Math.max(Math.floor(now / 86_400_000) * 86_400_000 + 60_000, now - 2 * 3_600_000);
    const length = now - asked > 11 * 60_000 ? 600_000 : 30_000;
    const at = (ms: number) => new Date(ms).toISOString();
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'q1', at: at(asked - 60_000), speaker: 'USER', title: 'Pick a license', project: 'shop' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'q1', at: at(asked), state: 'WAITING', waitReason: 'QUESTION', waitDetail: 'Which license?' } });
    await server.gql(RECORD_ACTIVITY, { input: { sessionId: 'q1', at: at(asked + length), state: 'WORKING' } });
    // The same command allowed from the page three times.
    for (const id of ['t1', 't2', 't3']) {
      await askPermission(server, id, 'npm test');
      await server.gql(`mutation($id: String!) { answerPermission(input: { requestId: $id, decision: ALLOW_ONCE, via: FEED }) { __typename } }`, { id: `${id}:ask-${id}` });
    }

    const page = await browser().newPage({ viewport: { width: 1100, height: 800 }, timezoneId: 'UTC' });
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(server.url.replace(/\/graphql$/, '/'));
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.getByText('Insights', { exact: true }).click();
    const glance = page.locator('dl.glance');
    await glance.waitFor();
    expect(await glance.locator('div').filter({ hasText: /^Waits/ }).locator('dd').innerText()).toMatch(/^4 none last week/);

    // The days: a real table; the question's day holds its wait (the bar beside is only a picture).
    const days = page.getByRole('table', { name: 'Time waited per day' });
    expect(await days.getByRole('row').count()).toBe(8);
    const today = new Date(asked).toLocaleDateString('en-US', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
    expect(await days.getByRole('row', { name: new RegExp(today) }).getByRole('cell').first().innerText()).toBe('4');

    // Why: the questions' count opens the waits behind it.
    const why = page.getByRole('table', { name: 'Why they waited' });
    await why.getByRole('row', { name: /Questions/ }).getByRole('button', { name: '1' }).click();
    const behind = page.getByRole('region', { name: 'The waits behind: Questions' });
    await expect.poll(() => behind.innerText()).toMatch(new RegExp(`Pick a license: questions, .*, waited ${length === 600_000 ? '10 min' : '30 s'}, in the terminal`));

    // The rule to add, as Claude Code's settings take it.
    const rules = page.locator('.insights li').filter({ hasText: 'Bash(npm test)' });
    expect(await rules.innerText()).toMatch(/allowed 3 times, never denied/);
    expect(JSON.parse(await rules.locator('pre').innerText())).toEqual({ permissions: { allow: ['Bash(npm test)'] } });

    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);

    // Last week: nothing waited.
    await page.getByRole('button', { name: 'Previous week' }).click();
    await page.getByText('No agent waited on you that week.').waitFor();
    await page.close();
  });
});
