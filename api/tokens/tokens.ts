// Scoped tokens: created with a secret shown once, kept only as a SHA-256 hash, checked in constant
// time, revoked at once (whatever a revoked token holds open hears of it). Every token is in
// memory; the file is written on create and revoke, and at most once a minute for "last used".
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { toStored as stored } from '../db/dates.ts';
import type { Principal, Scope } from './scopes.ts';

const LAST_USED_EVERY_MS = 60_000;
const TOKEN = /^lk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenRecord {
  id: string;
  name: string;
  scope: Scope;
  person: string;
  secretHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();

export class Tokens {
  private readonly byId = new Map<string, TokenRecord>();
  private readonly revokedListeners = new Set<(tokenId: string) => void>();

  /** Loads the tokens of a migrated database, through the connection it keeps using. */
  constructor(private readonly db: Database.Database) {
    for (const row of this.db.prepare('SELECT * FROM ApiToken').all() as Record<string, string | null>[]) {
      this.byId.set(row.id!, {
        id: row.id!,
        name: row.name!,
        scope: row.scope as Scope,
        person: row.person!,
        secretHash: row.secretHash!,
        createdAt: new Date(row.createdAt!),
        lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt) : null,
        revokedAt: row.revokedAt ? new Date(row.revokedAt) : null,
      });
    }
  }

  list(): TokenRecord[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** A new token; the returned token is the only time its secret is seen. */
  create(input: { name: string; scope: Scope; person: string }): { token: string; record: TokenRecord } {
    const id = randomUUID().replaceAll('-', '').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = { id, ...input, secretHash: hash(secret).toString('hex'), createdAt: new Date(), lastUsedAt: null, revokedAt: null };
    this.db
      .prepare('INSERT INTO ApiToken (id, name, scope, person, secretHash, createdAt) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, record.name, record.scope, record.person, record.secretHash, stored(record.createdAt));
    this.byId.set(id, record);
    return { token: `lk_${id}_${secret}`, record };
  }

  /** Revokes at once: refused from now on, and what it holds open is closed. Null for an unknown id. */
  revoke(id: string): TokenRecord | null {
    const record = this.byId.get(id);
    if (!record) return null;
    if (!record.revokedAt) {
      record.revokedAt = new Date();
      this.db.prepare('UPDATE ApiToken SET revokedAt = ? WHERE id = ?').run(stored(record.revokedAt), id);
      for (const listener of this.revokedListeners) listener(id);
    }
    return record;
  }

  /** Hears each revocation. */
  onRevoked(listener: (tokenId: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** The principal a token stands for; null when it is not one, unknown or revoked. Constant time in the secret. */
  verify(token: string): Principal | null {
    const match = TOKEN.exec(token);
    const record = match ? this.byId.get(match[1]!) : undefined;
    // An unknown id still costs one comparison: the time of the answer tells nothing.
    const expected = record ? Buffer.from(record.secretHash, 'hex') : hash('unknown');
    const same = timingSafeEqual(hash(match?.[2] ?? ''), expected);
    if (!same || !record || record.revokedAt) return null;
    this.noteUse(record);
    return { person: record.person, scope: record.scope, tokenId: record.id };
  }

  private noteUse(record: TokenRecord): void {
    const now = new Date();
    if (record.lastUsedAt && now.getTime() - record.lastUsedAt.getTime() < LAST_USED_EVERY_MS) return;
    record.lastUsedAt = now;
    this.db.prepare('UPDATE ApiToken SET lastUsedAt = ? WHERE id = ?').run(stored(now), record.id);
  }
}
