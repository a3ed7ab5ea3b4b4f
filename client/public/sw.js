// Lookout's service worker. It shows the server's pushes (one notification per session, a newer
// replacing an older), answers a prompt (or a question, by its options) from its notification through the API with the
// page's own token, opens the feed at the item on a click, and keeps the page's shell (never its
// data: /graphql is not touched) so that the page opens offline and says so.
/// <reference lib="webworker" />
/* eslint-env serviceworker */

const SHELL = 'lookout-shell';
const TOKEN_DB = 'lookout';
const TOKEN_STORE = 'page';

// The shell is kept from the first visit on, so that the page opens offline even then.
self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(keepShell().catch(() => {}));
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// ----- The shell: the page's HTML (network first) and its hashed assets (cache first). -----

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === '/') event.respondWith(page(request));
  else if (url.pathname.startsWith('/assets/') || /^\/(manifest\.webmanifest|favicon\.svg|icon-\d+\.png)$/.test(url.pathname)) event.respondWith(asset(request));
});

async function keepShell() {
  const cache = await caches.open(SHELL);
  const response = await fetch('/', { cache: 'no-cache' });
  if (!response.ok) return;
  const html = await response.clone().text();
  await cache.put('/', response);
  const assets = [...new Set([...html.matchAll(/\/assets\/[^"'\s)]+/g)].map((m) => m[0]))];
  await cache.addAll(assets);
  await forgetOldAssets(cache, html);
}

async function page(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const html = await response.clone().text();
      await cache.put('/', response.clone());
      await forgetOldAssets(cache, html);
    }
    return response;
  } catch {
    return (
      (await cache.match('/')) ??
      new Response('<!doctype html><meta charset="utf-8"><title>Lookout: offline</title><p>Lookout is offline: this device cannot reach it. It opens again when it can.</p>', {
        status: 503,
        headers: { 'content-type': 'text/html; charset=utf-8' },
      })
    );
  }
}

async function asset(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

/** Assets the current page no longer names are dropped: the cache holds one build. */
async function forgetOldAssets(cache, html) {
  const named = new Set([...html.matchAll(/\/assets\/[^"'\s)]+/g)].map((m) => m[0]));
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/assets/') && !named.has(path)) await cache.delete(request);
  }
}

// ----- Pushes and their notifications. -----

/** An event's work, kept alive while it runs (an event dispatched by a script cannot be extended). */
function extend(event, work) {
  try {
    event.waitUntil(work);
  } catch {
    // Untrusted events run the work all the same.
  }
  return work;
}

self.addEventListener('push', (event) => {
  let message;
  try {
    message = event.data?.json();
  } catch {
    return;
  }
  if (message?.sessionId) extend(event, show(message));
});

function show(message) {
  const plan = message.answer?.kind === 'PLAN';
  const options = message.answer?.kind === 'QUESTION' ? message.answer.options : null;
  return self.registration.showNotification(message.title, {
    body: message.body,
    tag: message.tag,
    // A newer notification for the session (an escalation) alerts again; one saying its prompt closed does not.
    renotify: !message.closed,
    silent: !!message.closed,
    requireInteraction: !!message.answer,
    icon: '/icon-192.png',
    data: message,
    actions: options
      ? options.map((label, index) => ({ action: `option-${index}`, title: label }))
      : message.answer
        ? [
            { action: 'allow', title: plan ? 'Approve plan' : 'Allow once' },
            { action: 'deny', title: plan ? 'Keep planning' : 'Deny' },
          ]
        : [],
  });
}

self.addEventListener('notificationclick', (event) => {
  const message = event.notification.data;
  event.notification.close();
  if (!message?.sessionId) return;
  const decision = { allow: 'ALLOW_ONCE', deny: 'DENY' }[event.action];
  const option = /^option-(\d+)$/.exec(event.action)?.[1];
  const label = option !== undefined && message.answer?.kind === 'QUESTION' ? message.answer.options[Number(option)] : undefined;
  if (label !== undefined) extend(event, answer(message, ANSWER_QUESTION, { requestId: message.answer.requestId, answers: [{ question: message.answer.question, choices: [label] }], via: 'FEED' }));
  else if (decision && message.answer && message.answer.kind !== 'QUESTION') extend(event, answer(message, ANSWER, { requestId: message.answer.requestId, decision, via: 'FEED' }));
  else extend(event, openFeed(message));
});

const ANSWER = `mutation AnswerFromNotification($input: AnswerPermissionInput!) {
  answerPermission(input: $input) { __typename ... on Error { message } }
}`;
const ANSWER_QUESTION = `mutation AnswerQuestionFromNotification($input: AnswerQuestionInput!) {
  answerQuestion(input: $input) { __typename ... on Error { message } }
}`;

/** The same request the page sends, with the page's token: the server's rules decide, as for the page. */
async function answer(message, query, input) {
  let problem;
  try {
    const token = await readToken();
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables: { input } }),
    });
    const result = await response.json().catch(() => null);
    const outcome = result?.data && Object.values(result.data)[0];
    if (outcome?.__typename?.endsWith('Success')) return;
    problem = outcome?.message ?? result?.errors?.[0]?.message ?? `Lookout answered ${response.status}.`;
  } catch {
    problem = 'Lookout cannot be reached.';
  }
  // Not answered: say why, where the user is; a click on it opens the feed at the item.
  await self.registration.showNotification(message.title, {
    body: `Not answered: ${problem}`,
    tag: message.tag,
    icon: '/icon-192.png',
    data: { ...message, answer: null },
  });
}

async function openFeed(message) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    open.postMessage({ type: 'open-session', sessionId: message.sessionId });
    return open.focus().catch(() => {});
  }
  return self.clients.openWindow(new URL(message.url, self.registration.scope).href);
}

// ----- The page's token, which the page keeps here for the worker. -----

function readToken() {
  return new Promise((resolve) => {
    const open = indexedDB.open(TOKEN_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(TOKEN_STORE);
    open.onerror = () => resolve(null);
    open.onsuccess = () => {
      const get = open.result.transaction(TOKEN_STORE).objectStore(TOKEN_STORE).get('token');
      get.onsuccess = () => resolve(get.result ?? null);
      get.onerror = () => resolve(null);
    };
  });
}
