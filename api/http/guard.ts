// The one guard: every HTTP request and every WebSocket upgrade passes it before any route sees it.
// Lookout sits on the user's own machine, and any page in their browser can send it requests, so
// it answers only to the names it serves (no DNS rebinding), only to pages of its own origin or a
// listed one (no cross-site reads, writes or WebSocket hijacking), takes bodies as JSON only (no
// "simple" cross-site POST needs a preflight), and holds its data behind the token when one is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseHost } from '../config.ts';
import { grants, type Principal, type Scope } from '../tokens/scopes.ts';
import { OWNER } from '../attention/transitions.ts';
import type { Tokens } from '../tokens/tokens.ts';

export interface GuardPolicy {
  /** The address Lookout listens on (HOST): served, on its port, unless it is a wildcard. */
  listenHost: string;
  /** The port Lookout listens on, once it does. */
  port(): number;
  /** More names to answer to, each with an optional `:port` (without one, any port). */
  allowedHosts: readonly string[];
  /** Origins of other sites whose pages may use Lookout. */
  allowedOrigins: readonly string[];
  /** LOOKOUT_TOKEN: the owner's admin token. */
  token: string | undefined;
  /** Scoped tokens, for agents, tools and people. */
  tokens: Tokens;
  maxBodyBytes: number;
}

/**
 * What a route needs: a scope (the hooks: report), any known principal (GraphQL, whose fields each
 * need their own scope), or nothing (the page, GraphiQL's HTML, which hold no data).
 */
export interface Access {
  needs: Scope | 'any' | null;
  /** The body it takes: JSON (the default), or a form (Slack's interactions, signed by Slack, never a browser's). */
  body?: 'form';
}

/** Let through, with the headers every answer to it carries, and who asks; or answered by the guard itself. */
export type Verdict =
  | { pass: true; headers: Record<string, string>; principal?: Principal }
  | { pass: false; status: number; headers: Record<string, string>; code?: string; message?: string };

/**
 * On every answer: no other site may frame the page (a framed feed could be clicked through:
 * clickjacking) or embed an answer as a script or image, and nothing is sniffed into another type.
 */
const ANSWER_HEADERS: Record<string, string> = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);
/** A refused body is read (and dropped) up to this much, so that its sender hears the answer. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

const refuse = (status: number, code: string, message: string, headers: Record<string, string> = {}): Verdict => ({
  pass: false,
  status,
  headers,
  code,
  message,
});

const digest = (text: string) => createHash('sha256').update(text).digest();

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// Each part is matched one way only (no backtracking that grows with the header).
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})[ \\t]*((?:;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*")[ \\t]*)?)*)$`);
const PARAMETER = new RegExp(`(${TOKEN})=(${TOKEN}|"((?:[^"\\\\]|\\\\.)*)")`, 'g');

/**
 * A Content-Type as RFC 9110 (8.3.1) has it: type and subtype, case-insensitive, then parameters,
 * with optional whitespace around each ";" and quoted values; the charset, lower case. Null when the
 * header is not one.
 */
export function mediaType(header: string | undefined): { type: string; charset?: string } | null {
  const match = MEDIA_TYPE.exec(header ?? '');
  if (!match) return null;
  let charset: string | undefined;
  for (const [, name, raw, quoted] of match[3]!.matchAll(PARAMETER)) {
    if (name!.toLowerCase() === 'charset') charset = (quoted === undefined ? raw! : quoted.replace(/\\(.)/g, '$1')).toLowerCase();
  }
  return { type: `${match[1]}/${match[2]}`.toLowerCase(), ...(charset === undefined ? {} : { charset }) };
}

export class Guard {
  private readonly servedNames: Set<string>;
  private readonly allowedOrigins: Set<string>;
  private readonly tokenDigest: Buffer | undefined;

  constructor(private readonly policy: GuardPolicy) {
    const listen = policy.listenHost.includes(':') && !policy.listenHost.startsWith('[') ? `[${policy.listenHost}]` : policy.listenHost;
    this.servedNames = new Set([...LOOPBACK_NAMES, ...(WILDCARD_HOSTS.has(listen) ? [] : [listen.toLowerCase()])]);
    this.allowedOrigins = new Set(policy.allowedOrigins);
    this.tokenDigest = policy.token === undefined ? undefined : digest(policy.token);
  }

  /**
   * Who an Authorization header stands for: LOOKOUT_TOKEN is the owner's admin token; a scoped token
   * its person and scope; no header, on a Lookout without LOOKOUT_TOKEN, the owner. Null: refused.
   * LOOKOUT_TOKEN is compared as fixed-length digests, scoped tokens in constant time: no timing
   * tells even a length.
   */
  principal(authorization: string | null | undefined): Principal | null {
    const bearer = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (!bearer) return this.tokenDigest ? null : { person: OWNER, scope: 'admin', tokenId: null };
    if (this.tokenDigest && timingSafeEqual(digest(bearer), this.tokenDigest)) return { person: OWNER, scope: 'admin', tokenId: null };
    return this.policy.tokens.verify(bearer);
  }

  /** Host, Origin, preflight, body size and type, token: in this order, for every HTTP request. */
  check(req: IncomingMessage, access: Access): Verdict {
    const verdict = this.decide(req, access);
    return { ...verdict, headers: { ...ANSWER_HEADERS, ...verdict.headers } };
  }

  private decide(req: IncomingMessage, access: Access): Verdict {
    const origin = this.checkHostAndOrigin(req);
    if (!origin.pass) return origin;
    const { headers } = origin;
    if (req.method === 'OPTIONS') {
      // A preflight: only listed origins are told what they may send.
      const preflight: Record<string, string> = headers['access-control-allow-origin']
        ? { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type, accept', 'access-control-max-age': '600' }
        : {};
      return { pass: false, status: 204, headers: { ...headers, ...preflight, allow: 'GET, HEAD, POST, OPTIONS' } };
    }
    const length = Number(req.headers['content-length'] ?? 0);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (length > this.policy.maxBodyBytes) return refuse(413, 'BODY_TOO_LARGE', `Request body is larger than ${this.policy.maxBodyBytes / 1024 / 1024} MB.`, headers);
    if (chunked && req.headers['content-length'] === undefined) return refuse(411, 'LENGTH_REQUIRED', 'Send a Content-Length.', headers);
    if (req.method === 'POST' || length > 0 || chunked) {
      const media = mediaType(req.headers['content-type']);
      const type = access.body === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (media?.type !== type || (media.charset !== undefined && media.charset !== 'utf-8')) {
        return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the body as ${type} in UTF-8 (got ${req.headers['content-type'] || 'no Content-Type'}).`, headers);
      }
      // What follows (GraphQL's own parser among it) sees the one spelling it knows.
      req.headers['content-type'] = type;
    }
    if (!access.needs) return origin;
    const principal = this.principal(req.headers.authorization);
    if (!principal) {
      return refuse(401, 'UNAUTHENTICATED', 'Missing, wrong or revoked token: send Authorization: Bearer <token>.', {
        ...headers,
        'www-authenticate': 'Bearer realm="lookout"',
      });
    }
    if (access.needs !== 'any' && !grants(principal.scope, access.needs)) {
      return refuse(403, 'FORBIDDEN', `This token's scope (${principal.scope}) does not allow this: it needs ${access.needs}.`, headers);
    }
    return { ...origin, principal };
  }

  /** A WebSocket upgrade: Host and Origin (its token comes with the connection's first message). */
  checkUpgrade(req: IncomingMessage): Verdict {
    return this.checkHostAndOrigin(req);
  }

  private checkHostAndOrigin(req: IncomingMessage): Verdict {
    const host = parseHost(req.headers.host);
    if (!host || !this.serves(host)) {
      return refuse(
        421,
        'HOST_NOT_ALLOWED',
        `Lookout does not answer to the host "${req.headers.host ?? ''}". If you reach it by that name on purpose, add it to LOOKOUT_ALLOWED_HOSTS.`,
      );
    }
    const origin = req.headers.origin;
    if (origin === undefined) {
      // Browsers send no Origin on a plain cross-site GET (an image, a script); they say so here.
      const site = req.headers['sec-fetch-site'];
      if ((site === 'cross-site' || site === 'same-site') && req.headers['sec-fetch-mode'] !== 'navigate') {
        return refuse(403, 'ORIGIN_NOT_ALLOWED', 'Requests from other sites are refused.');
      }
      return { pass: true, headers: {} };
    }
    if (this.sameOrigin(origin, req.headers.host!)) return { pass: true, headers: {} };
    if (this.allowedOrigins.has(origin)) return { pass: true, headers: { 'access-control-allow-origin': origin, vary: 'Origin' } };
    return refuse(
      403,
      'ORIGIN_NOT_ALLOWED',
      `Requests from ${origin} are refused: pages on other sites cannot use Lookout. To allow this one, add it to LOOKOUT_ALLOWED_ORIGINS.`,
    );
  }

  private serves({ name, port }: { name: string; port: number | null }): boolean {
    const own = this.policy.port();
    if (this.servedNames.has(name) && (port === own || (port === null && own === 80))) return true;
    return this.policy.allowedHosts.some((entry) => entry === name || entry === `${name}:${port}`);
  }

  /** The page's own origin: the Host it was served from, by http or https (a proxy may add TLS). */
  private sameOrigin(origin: string, host: string): boolean {
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && url.host === new URL(`${url.protocol}//${host}`).host;
    } catch {
      return false;
    }
  }
}

function refusalBody(verdict: Verdict & { pass: false }): string {
  return verdict.message ? JSON.stringify({ errors: [{ message: verdict.message, extensions: { code: verdict.code } }] }) : '';
}

/**
 * Answers a request the guard did not let through. Its body is read first (up to a limit), so
 * that the sender is done writing and hears the answer instead of a reset connection.
 */
export function answerRefusal(req: IncomingMessage, res: ServerResponse, verdict: Verdict & { pass: false }): void {
  const body = refusalBody(verdict);
  const headers = { ...verdict.headers, ...(body ? { 'content-type': 'application/json' } : {}) };
  const send = (close: boolean) => {
    if (res.headersSent) return;
    res.writeHead(verdict.status, close ? { ...headers, connection: 'close' } : headers);
    res.end(body);
  };
  if (req.readableEnded || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) return send(false);
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) {
      send(true);
      req.destroy();
    }
  });
  req.once('end', () => send(true));
  req.once('error', () => res.destroy());
}

/** Refuses a WebSocket upgrade with a plain HTTP answer. */
export function refuseUpgrade(socket: Duplex, verdict: Verdict & { pass: false }): void {
  const body = refusalBody(verdict);
  const reason = { 403: 'Forbidden', 421: 'Misdirected Request' }[verdict.status] ?? 'Refused';
  socket.end(
    `HTTP/1.1 ${verdict.status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
