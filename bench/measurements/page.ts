// The feed page with a few hundred items, cold, in Chromium: how long until every item shows, and
// the longest task on the way (what keeps a page from answering a click). The baseline is the same
// page's finished markup and styles as a static document: what the browser needs at the least.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { startChild } from '../children.ts';
import { graphql } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { FEED_SIZE } from '../seed.ts';

const SPEAK = `mutation Speak($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`;

/** Watches the page from its first byte: long tasks, and when `items` feed items are on screen. */
const WATCH = (items: number) => `
  window.__bench = { longTasks: [], shownAt: null };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__bench.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  new MutationObserver((_, observer) => {
    if (document.querySelectorAll('[data-session-id]').length >= ${items}) { window.__bench.shownAt = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`;

interface Load {
  shownMs: number;
  longestTaskMs: number;
  blockingMs: number;
}

async function load(browser: Browser, url: string, items: number): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(WATCH(items));
    await page.goto(url);
    await page.waitForFunction(() => (window as any).__bench.shownAt !== null, undefined, { timeout: 30_000 });
    // Long tasks are reported a moment after they end.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 100))));
    const { shownAt, longTasks } = await page.evaluate(() => (window as any).__bench as { shownAt: number; longTasks: number[] });
    return { shownMs: shownAt, longestTaskMs: Math.max(0, ...longTasks), blockingMs: longTasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0) };
  } finally {
    await context.close();
  }
}

export async function measurePage(file: string, settings: Settings, items: number): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [file]);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  let staticServer: Server | undefined;
  try {
    const url = lookout.ready.url as string;
    for (let i = 0; i < items - FEED_SIZE; i++) {
      await graphql(url, SPEAK, { input: { sessionId: `page-item-${i}`, speaker: 'ASSISTANT', title: `Replied ${i}: the migration is ready for review`, project: `p${i % 7}`, branch: 'main' } });
    }
    const pageUrl = url.replace(/\/graphql$/, '/');
    // The baseline: the page as it ends up (its markup and its styles), with no script.
    const snapshot = await browser.newPage();
    await snapshot.goto(pageUrl);
    await snapshot.waitForFunction((n) => document.querySelectorAll('[data-session-id]').length >= n, items);
    const html = await snapshot.evaluate(async () => {
      const css = await Promise.all([...document.querySelectorAll<HTMLLinkElement>('link[rel=stylesheet]')].map((l) => fetch(l.href).then((r) => r.text())));
      return `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>${css.join('\n')}</style></head><body>${document.body.innerHTML.replace(/<script[\s\S]*?<\/script>/g, '')}</body></html>`;
    });
    await snapshot.close();
    staticServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((resolve) => staticServer!.listen(0, '127.0.0.1', resolve));
    const staticUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}/`;

    const lookoutLoads: Load[] = [];
    const staticLoads: Load[] = [];
    const rounds = settings.quick ? 3 : 7;
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 ? (['static', 'lookout'] as const) : (['lookout', 'static'] as const)) {
        if (side === 'lookout') lookoutLoads.push(await load(browser, pageUrl, items));
        else staticLoads.push(await load(browser, staticUrl, items));
      }
    }
    return [
      row(`page-shown-${items}`, `Page cold load until ${items} items show`, 'ms', lookoutLoads.map((l) => l.shownMs), {
        baseline: ['the same markup, static', staticLoads.map((l) => l.shownMs)],
        ratio: ['page ÷ static', lookoutLoads.map((l, i) => l.shownMs / staticLoads[i]!.shownMs)],
      }),
      row(`page-longest-task-${items}`, `Page cold load: longest task, ${items} items`, 'ms', lookoutLoads.map((l) => l.longestTaskMs), {
        baseline: ['the same markup, static', staticLoads.map((l) => l.longestTaskMs)],
        // Issue 14: a few hundred items keep the page responsive.
        target: items <= 200 ? { op: '<=', value: 100, of: 'lookout' } : undefined,
      }),
      row(`page-blocking-${items}`, `Page cold load: total blocking time, ${items} items`, 'ms', lookoutLoads.map((l) => l.blockingMs), {
        baseline: ['the same markup, static', staticLoads.map((l) => l.blockingMs)],
      }),
    ];
  } finally {
    staticServer?.close();
    await browser.close();
    await lookout.stop();
  }
}
