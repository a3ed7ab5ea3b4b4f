// Lookout's settings, from environment variables; every one is optional.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { WebhookFormat } from './notify/webhooks.ts';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** `name` (IPv6 in brackets) and `port` of a host as a Host header carries it; null when it is not one. */
export function parseHost(host: string | undefined): { name: string; port: number | null } | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec((host ?? '').toLowerCase());
  return match ? { name: match[1]!, port: match[2] === undefined ? null : Number(match[2]) } : null;
}

/** The name of a host entry, without its port or IPv6 brackets. */
const hostName = (entry: string) => parseHost(entry)!.name.replace(/^\[(.*)\]$/, '$1');

const positiveNumber = (fallback: number) => z.coerce.number().positive().default(fallback);
const commaList = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(item))
    .default([]);

/** A name as a Host header carries it, with an optional port: `lookout.example.com`, `box.lan:4000`, `[fd00::1]:4000`. */
const hostEntry = z
  .string()
  .transform((entry) => entry.toLowerCase())
  .refine((entry) => parseHost(entry) !== null, 'must be a host name or address, with an optional :port');

/** A push service's host: `name`, `name:port`, or `*.domain` for any name below it. */
const pushHostEntry = z
  .string()
  .transform((entry) => entry.toLowerCase())
  .refine((entry) => /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/.test(entry), 'must be a host name, name:port or *.domain');

/** An origin exactly as a browser sends it: scheme, host and port, nothing else. */
const originEntry = z.string().refine((entry) => {
  try {
    const url = new URL(entry);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}, 'must be an origin such as https://dash.example.com or http://localhost:3000 (scheme, host and port only)');

/** A webhook to send "needs you" to: `URL` (generic JSON) or `FORMAT=URL` (slack, discord, ntfy, json). */
const webhookEntry = z.string().transform((entry, ctx) => {
  const match = /^(?:(json|slack|discord|ntfy)=)?(https?:\/\/.+)$/.exec(entry);
  if (!match || !URL.canParse(match[2]!)) {
    ctx.addIssue({ code: 'custom', message: 'must be URL or FORMAT=URL (FORMAT: json, slack, discord, ntfy), with an http or https URL' });
    return z.NEVER;
  }
  return { format: (match[1] ?? 'json') as WebhookFormat, url: match[2]! };
});

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:.+|postgres(ql)?:\/\/.+)$/, 'must be a SQLite file URL (file:./data/lookout.db) or a PostgreSQL one (postgresql://user@host/db)')
    .default('file:./data/lookout.db'),
  LOOKOUT_TOKEN: z.string().min(1).optional(),
  LOOKOUT_ALLOWED_HOSTS: commaList(hostEntry),
  LOOKOUT_ALLOWED_ORIGINS: commaList(originEntry),
  LOOKOUT_WEBHOOKS: z
    .string()
    .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(webhookEntry))
    .default([]),
  // Push services of your own, besides the browsers': devices may be at these hosts, wherever they resolve.
  LOOKOUT_PUSH_HOSTS: commaList(pushHostEntry),
  // Who runs this Lookout, for push services (VAPID's subject): a mailto: or https: URL.
  LOOKOUT_PUSH_CONTACT: z
    .string()
    .refine((v) => /^(mailto:\S+@\S+|https:\/\/\S+)$/.test(v), 'must be a mailto: or https: URL, e.g. mailto:you@example.com')
    .default('mailto:lookout@localhost.localdomain'),
  // Where people reach this Lookout from their phones: answer links and ntfy's buttons point there.
  LOOKOUT_PUBLIC_URL: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol) && new URL(v).pathname === '/' && !new URL(v).search && !new URL(v).username, 'must be an http(s) origin such as https://lookout.example.com')
    .transform((v) => new URL(v).origin)
    .optional(),
  // ntfy servers of your own, besides ntfy.sh: a person's topic may be at these hosts, wherever they resolve.
  LOOKOUT_NTFY_HOSTS: commaList(pushHostEntry),
  // A Slack app of your own: its bot token (xoxb-…) and signing secret; the API's base URL (a stand-in's in tests).
  LOOKOUT_SLACK_BOT_TOKEN: z.string().min(1).optional(),
  LOOKOUT_SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  LOOKOUT_SLACK_API_URL: z.url({ protocol: /^https?$/ }).default('https://slack.com/api'),
  // A Telegram bot of your own (from @BotFather); the Bot API's base URL (a stand-in's in tests).
  LOOKOUT_TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must be a bot token as @BotFather gives it (123456:ABC-…)').optional(),
  LOOKOUT_TELEGRAM_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
  LOOKOUT_TELEGRAM_POLL_SECONDS: z.coerce.number().int().min(0).max(50).default(25),
  LOOKOUT_RETENTION_DAYS: positiveNumber(30),
  LOOKOUT_STALE_MINUTES: positiveNumber(30),
  LOOKOUT_DONE_MINUTES: positiveNumber(10),
  LOOKOUT_ESCALATE_MINUTES: positiveNumber(10),
  // Below the installed hook's own timeout (600 s), so the server, not Claude Code, ends the wait.
  LOOKOUT_DECISION_TIMEOUT_SECONDS: positiveNumber(300),
  // On SIGTERM, how long /readyz says "not ready" (still serving) before the listener closes.
  LOOKOUT_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(5),
});

export interface LookoutConfig {
  port: number;
  host: string;
  /** The database: `file:` and the SQLite file's absolute path, or a `postgresql://` URL. */
  database: string;
  token: string | undefined;
  /**
   * Host names Lookout answers to besides loopback and HOST on its own port, lowercased, each with
   * an optional `:port` (without one, any port).
   */
  allowedHosts: string[];
  /** Origins of other sites whose pages may use Lookout (CORS), exactly as browsers send them. */
  allowedOrigins: string[];
  retentionMs: number;
  staleAfterMs: number;
  doneForMs: number;
  /** How long a permission prompt's hook waits for an answer from Lookout. */
  decisionWaitMs: number;
  /** A session that has needed its user this long is escalated (notified again). */
  escalateAfterMs: number;
  /** Webhooks from LOOKOUT_WEBHOOKS, besides those kept in the database. */
  webhooks: { url: string; format: WebhookFormat }[];
  /** VAPID's subject: how a push service reaches whoever runs this Lookout. */
  vapidSubject: string;
  /** On SIGTERM: how long to say "not ready" while still serving, before closing. */
  drainMs: number;
  /** Push services besides the browsers' own (LOOKOUT_PUSH_HOSTS): `name`, `name:port` or `*.domain`. */
  pushHosts: string[];
  /** The origin people reach Lookout at from their phones (LOOKOUT_PUBLIC_URL); null: links point nowhere outside. */
  publicUrl: string | null;
  /** ntfy servers besides ntfy.sh (LOOKOUT_NTFY_HOSTS). */
  ntfyHosts: string[];
  slack: { botToken: string; signingSecret: string; apiUrl: string } | null;
  telegram: { botToken: string; apiUrl: string; pollSeconds: number } | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LookoutConfig {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (!isLoopback(e.HOST) && !e.LOOKOUT_TOKEN) {
    throw new ConfigError(
      `Refusing to listen on ${e.HOST} without a token: anyone who can reach it could read and change your sessions. ` +
        'Set LOOKOUT_TOKEN, or use HOST=127.0.0.1.',
    );
  }
  if (!!e.LOOKOUT_SLACK_BOT_TOKEN !== !!e.LOOKOUT_SLACK_SIGNING_SECRET) {
    throw new ConfigError('Slack needs both LOOKOUT_SLACK_BOT_TOKEN and LOOKOUT_SLACK_SIGNING_SECRET (the signing secret checks that a button press comes from Slack).');
  }
  // People reach Lookout by its public name: it answers to it, and so needs a token like any other name.
  const publicHost = e.LOOKOUT_PUBLIC_URL ? new URL(e.LOOKOUT_PUBLIC_URL).host : null;
  if (publicHost && !e.LOOKOUT_ALLOWED_HOSTS.includes(publicHost)) e.LOOKOUT_ALLOWED_HOSTS.push(publicHost);
  const reachable = e.LOOKOUT_ALLOWED_HOSTS.filter((entry) => !isLoopback(hostName(entry)) && !hostName(entry).endsWith('.localhost'));
  if (reachable.length && !e.LOOKOUT_TOKEN) {
    throw new ConfigError(
      `LOOKOUT_ALLOWED_HOSTS names ${reachable.join(', ')}: whoever reaches Lookout by that name could read and change your sessions. ` +
        'Set LOOKOUT_TOKEN too.',
    );
  }
  const minute = 60_000;
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL.startsWith('file:') ? `file:${path.resolve(cwd, e.DATABASE_URL.slice('file:'.length))}` : e.DATABASE_URL,
    token: e.LOOKOUT_TOKEN,
    allowedHosts: e.LOOKOUT_ALLOWED_HOSTS,
    allowedOrigins: e.LOOKOUT_ALLOWED_ORIGINS.map((origin) => new URL(origin).origin),
    retentionMs: e.LOOKOUT_RETENTION_DAYS * 24 * 60 * minute,
    staleAfterMs: e.LOOKOUT_STALE_MINUTES * minute,
    doneForMs: e.LOOKOUT_DONE_MINUTES * minute,
    decisionWaitMs: e.LOOKOUT_DECISION_TIMEOUT_SECONDS * 1000,
    escalateAfterMs: e.LOOKOUT_ESCALATE_MINUTES * minute,
    webhooks: e.LOOKOUT_WEBHOOKS,
    vapidSubject: e.LOOKOUT_PUSH_CONTACT,
    pushHosts: e.LOOKOUT_PUSH_HOSTS,
    publicUrl: e.LOOKOUT_PUBLIC_URL ?? null,
    ntfyHosts: e.LOOKOUT_NTFY_HOSTS,
    slack: e.LOOKOUT_SLACK_BOT_TOKEN && e.LOOKOUT_SLACK_SIGNING_SECRET ? { botToken: e.LOOKOUT_SLACK_BOT_TOKEN, signingSecret: e.LOOKOUT_SLACK_SIGNING_SECRET, apiUrl: e.LOOKOUT_SLACK_API_URL.replace(/\/$/, '') } : null,
    telegram: e.LOOKOUT_TELEGRAM_BOT_TOKEN ? { botToken: e.LOOKOUT_TELEGRAM_BOT_TOKEN, apiUrl: e.LOOKOUT_TELEGRAM_API_URL.replace(/\/$/, ''), pollSeconds: e.LOOKOUT_TELEGRAM_POLL_SECONDS } : null,
    drainMs: e.LOOKOUT_DRAIN_SECONDS * 1000,
  };
}
