// An answer link opened: GET shows what the link would answer, in full, and for which session, and
// never acts; the page's button answers with a same-origin POST (JSON, so no other site can send it
// without a preflight the guard refuses). ntfy's buttons POST the same way. A used, expired, changed
// or other person's link says so and changes nothing.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PermissionRequest } from '../attention/permissions.ts';
import { choiceLabel, type AnswerLinks, type LinkProblem, type LinkView } from '../notify/answer-links.ts';
import { readBody } from './read-body.ts';
import { nameHidden } from '../notify/notice.ts';

export const ANSWER_PATH = /^\/answer\/([^/]{1,100})$/;

const STATUS: Record<LinkProblem | 'REFUSED', number> = { INVALID: 404, USED: 410, EXPIRED: 410, NOT_YOURS: 403, CLOSED: 409, REFUSED: 409 };

const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Text shown whole: every character a page would not show as it is is named instead, and marked. */
const visible = (text: string) => html(nameHidden(text)).replace(/\u27E8U\+[0-9A-F]{4,6}\u27E9/g, (name) => `<mark>${name}</mark>`);

function asked(request: PermissionRequest): string {
  if (request.kind === 'QUESTION') {
    const [only] = request.questions ?? [];
    return `<p>The agent asks:</p><pre>${visible(only?.question ?? '')}</pre><p>Options: ${(only?.options ?? []).map((o) => `<q>${visible(o.label)}</q>`).join(', ')}</p>`;
  }
  if (request.kind === 'PLAN') return `<p>The plan:</p><pre>${visible(request.input)}</pre>`;
  return `<p><b>${visible(request.tool)}</b>, with:</p><pre>${visible(request.input)}</pre>`;
}

function page(res: ServerResponse, status: number, title: string, body: string, script = ''): void {
  const nonce = randomBytes(16).toString('base64');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The link is a secret: it leaves in no Referer, and the page runs nothing but its own script.
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'`,
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${html(nameHidden(title))} · Lookout</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:42rem;padding:1rem;color:#111}pre{white-space:pre-wrap;word-break:break-all;background:#f3f3f3;padding:.75rem;border-radius:6px}mark{background:#fd0}button{font:inherit;font-weight:600;padding:.8rem 1.4rem;border-radius:8px;border:0;background:#1a5fd0;color:#fff}button.deny{background:#b3261e}.where{color:#555}small{color:#555}</style>
</head><body><main>
<h1>${visible(title)}</h1>
${body}
</main>${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`);
}

/** GET: what the link answers, with one button; or why it cannot. */
export async function showAnswerLink(res: ServerResponse, links: AnswerLinks, token: string): Promise<void> {
  const view: LinkView = await links.look(token);
  if (!view.ok) return page(res, STATUS[view.problem], 'Nothing to answer', `<p role="status">${html(view.said)}</p>`);
  const { session, request, choice, expiresAt } = view;
  const label = choiceLabel(request, choice);
  const where = [session.agent, session.project, session.branch, session.host].filter(Boolean).map((part) => visible(part!)).join(' · ');
  const deny = 'decision' in choice && choice.decision === 'DENY';
  page(
    res,
    200,
    `${label}?`,
    `<p class="where"><b>${visible(session.title ?? session.id)}</b><br>${where}</p>
${asked(request)}
<p><button id="answer" class="${deny ? 'deny' : ''}">${visible(label)}</button></p>
<p id="said" role="status"></p>
<p><small>This link answers once, for you only, until ${html(expiresAt.toISOString().slice(11, 16))} UTC. The terminal shows the same prompt: the first answer wins.</small></p>`,
    `const button = document.getElementById('answer');
button.addEventListener('click', async () => {
  button.disabled = true;
  const said = document.getElementById('said');
  try {
    const res = await fetch(location.pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'page' }) });
    said.textContent = (await res.json()).said;
    button.remove();
  } catch {
    said.textContent = 'Lookout could not be reached: nothing was answered. Try again.';
    button.disabled = false;
  }
});`,
  );
}

/** POST: answers, once. */
export async function useAnswerLink(req: IncomingMessage, res: ServerResponse, links: AnswerLinks, token: string): Promise<void> {
  // The link says what to answer; the body only says whether its page sent it (else ntfy's button did, or a client of the person's).
  const sent = await readBody(req);
  const fromPage = /^\{"from":"page"\}$/.test(sent);
  const used = await links.use(token, { page: fromPage });
  res.writeHead(used.ok ? 200 : STATUS[used.problem], { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(used));
}
