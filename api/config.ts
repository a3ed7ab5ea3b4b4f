// Lookout's settings, from environment variables; every one is optional.
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

const positiveNumber = (fallback: number) => z.coerce.number().positive().default(fallback);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().startsWith('file:', 'must be a SQLite file URL, e.g. file:./data/lookout.db').default('file:./data/lookout.db'),
  LOOKOUT_TOKEN: z.string().min(1).optional(),
  LOOKOUT_RETENTION_DAYS: positiveNumber(30),
  LOOKOUT_STALE_MINUTES: positiveNumber(30),
  LOOKOUT_DONE_MINUTES: positiveNumber(10),
});

export interface LookoutConfig {
  port: number;
  host: string;
  /** Absolute path of the SQLite file. */
  databaseFile: string;
  token: string | undefined;
  retentionMs: number;
  staleAfterMs: number;
  doneForMs: number;
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
  const minute = 60_000;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseFile: path.resolve(cwd, e.DATABASE_URL.slice('file:'.length)),
    token: e.LOOKOUT_TOKEN,
    retentionMs: e.LOOKOUT_RETENTION_DAYS * 24 * 60 * minute,
    staleAfterMs: e.LOOKOUT_STALE_MINUTES * minute,
    doneForMs: e.LOOKOUT_DONE_MINUTES * minute,
  };
}
