import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './browser.ts';
import { RECORD_SPEAKER, startServer, subscribersListening, type TestServer } from './helpers.ts';

const browser = useBrowser();
let server: TestServer;
afterEach(() => server?.stop());

const SUBSCRIPTION = 'subscription { attentionChanged { ... on AttentionChange { seq session { id title } attention { reason label } } } }';

describe('GraphiQL in a real browser', () => {
  it('loads with no request beyond Lookout and runs a live subscription over WebSocket', async () => {
    server = await startServer();
    const page = await browser().newPage();
    const offsite: string[] = [];
    const origin = new URL(server.url).origin;
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) offsite.push(url);
    });
    await page.goto(`${server.url}?query=${encodeURIComponent(SUBSCRIPTION)}`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 15_000 });
    await page.click('.graphiql-execute-button');
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 'demo', speaker: 'ASSISTANT', title: 'Try GraphiQL' } });
    // The response editor renders spaces as no-break spaces.
    const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
    await expect.poll(response).toMatch(/"title": "Try GraphiQL" .* "label": "Awaiting your reply"/);
    expect(offsite).toEqual([]);
    await page.close();
  });
});
