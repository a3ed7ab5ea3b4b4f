import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../api/config.ts';
import { collect, FEED_EVENT, RECORD_SPEAKER, startServer, subscribersListening, type TestServer } from './helpers.ts';

let server: TestServer;
afterEach(() => server?.stop());

const TOKEN = 'correct-horse-battery-staple';

describe('with LOOKOUT_TOKEN set', () => {
  it('HTTP requests need the bearer token', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    const query = JSON.stringify({ query: '{ attentionSummary { total } }' });
    const send = (authorization?: string) =>
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: query });
    expect((await send()).status).toBe(401);
    expect((await send('Bearer wrong')).status).toBe(401);
    expect((await send(TOKEN)).status).toBe(401);
    const ok = await send(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { attentionSummary: { total: 0 } } });
    expect((await fetch(`${server.url}?query=${encodeURIComponent('{ attentionSummary { total } }')}`)).status).toBe(401);
    // The GraphiQL page itself carries no data: it loads, and asks for the token in its headers.
    const page = await fetch(`${server.url}?query=${encodeURIComponent('{ attentionSummary { total } }')}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<html/i);
    expect(html).not.toMatch(/"attentionSummary":\{"total"/); // the page, not the query's answer
  });

  it('a graphql-ws connection without the token is closed with 4403', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    const code = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer nope' } })));
      socket.on('close', (closeCode) => resolve(closeCode));
    });
    expect(code).toBe(4403);

    const feed = collect(server.wsClient({ authorization: `Bearer ${TOKEN}` }), FEED_EVENT);
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'ASSISTANT' } });
    await expect(feed.next(1)).resolves.toHaveLength(1);
  });

  it('SSE subscriptions need the token too', async () => {
    server = await startServer({ LOOKOUT_TOKEN: TOKEN });
    const url = `${server.url}?query=${encodeURIComponent('subscription { attentionChanged { __typename } }')}`;
    const denied = await fetch(url, { headers: { accept: 'text/event-stream' } });
    expect(denied.status).toBe(401);

    const controller = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    await subscribersListening(server, 1);
    await server.gql(RECORD_SPEAKER, { input: { sessionId: 's', speaker: 'ASSISTANT' } });
    let text = '';
    while (!text.includes('AttentionChange')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/event: next/);
    controller.abort();
  });
});

describe('configuration', () => {
  it('refuses a non-loopback HOST without a token, with a message that says why', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/LOOKOUT_TOKEN/);
    expect(loadConfig({ HOST: '0.0.0.0', LOOKOUT_TOKEN: TOKEN }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it('has working defaults and rejects nonsense', () => {
    const config = loadConfig({}, '/srv/lookout');
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', database: 'file:/srv/lookout/data/lookout.db', staleAfterMs: 30 * 60_000 });
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://lookout@db/lookout' }).database).toBe('postgresql://lookout@db/lookout');
  });

  it('reads the allowed hosts and origins, and refuses what is not a host or an origin', () => {
    const config = loadConfig({
      LOOKOUT_TOKEN: TOKEN,
      LOOKOUT_ALLOWED_HOSTS: ' Lookout.example.com , box.lan:8080 ',
      LOOKOUT_ALLOWED_ORIGINS: 'https://Dash.example.com,http://localhost:3000/',
    });
    expect(config).toMatchObject({ allowedHosts: ['lookout.example.com', 'box.lan:8080'], allowedOrigins: ['https://dash.example.com', 'http://localhost:3000'] });
    expect(loadConfig({})).toMatchObject({ allowedHosts: [], allowedOrigins: [] });
    for (const origins of ['*', 'dash.example.com', 'https://dash.example.com/app', 'file:///x', 'null']) {
      expect(() => loadConfig({ LOOKOUT_ALLOWED_ORIGINS: origins }), origins).toThrow(/LOOKOUT_ALLOWED_ORIGINS.*must be an origin/);
    }
    // A name other machines can use to reach Lookout needs the token, as a non-loopback HOST does.
    expect(() => loadConfig({ LOOKOUT_ALLOWED_HOSTS: 'lookout.example.com' })).toThrow(/lookout\.example\.com.*LOOKOUT_TOKEN/);
    expect(loadConfig({ LOOKOUT_ALLOWED_HOSTS: 'lookout.localhost:4000,127.0.0.2,[::1]' }).allowedHosts).toHaveLength(3);
    for (const hosts of ['*', 'http://box.lan', 'box.lan/path', 'box lan']) {
      expect(() => loadConfig({ LOOKOUT_ALLOWED_HOSTS: hosts }), hosts).toThrow(/LOOKOUT_ALLOWED_HOSTS.*host name/);
    }
  });

  it('answers to LOOKOUT_PUBLIC_URL (so a name other than loopback needs the token), and takes Slack whole or not at all', () => {
    expect(() => loadConfig({ LOOKOUT_PUBLIC_URL: 'https://lookout.example.com' })).toThrow(/lookout\.example\.com.*LOOKOUT_TOKEN/);
    expect(loadConfig({ LOOKOUT_PUBLIC_URL: 'https://lookout.example.com/', LOOKOUT_TOKEN: TOKEN })).toMatchObject({ publicUrl: 'https://lookout.example.com', allowedHosts: ['lookout.example.com'] });
    for (const url of ['lookout.example.com', 'ftp://lookout.example.com', 'https://lookout.example.com/feed', 'https://user@lookout.example.com']) {
      expect(() => loadConfig({ LOOKOUT_PUBLIC_URL: url, LOOKOUT_TOKEN: TOKEN }), url).toThrow(/LOOKOUT_PUBLIC_URL/);
    }
    expect(() => loadConfig({ LOOKOUT_SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/LOOKOUT_SLACK_SIGNING_SECRET/);
    expect(loadConfig({ LOOKOUT_SLACK_BOT_TOKEN: 'xoxb-1', LOOKOUT_SLACK_SIGNING_SECRET: 's' }).slack).toEqual({ botToken: 'xoxb-1', signingSecret: 's', apiUrl: 'https://slack.com/api' });
    expect(() => loadConfig({ LOOKOUT_TELEGRAM_BOT_TOKEN: 'not a token' })).toThrow(/LOOKOUT_TELEGRAM_BOT_TOKEN/);
    expect(loadConfig({}).telegram).toBeNull();
  });
});
