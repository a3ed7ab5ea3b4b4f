// Scoped tokens: created with a secret shown once, kept only as a SHA-256 hash, checked in constant
// time, revoked at once (whatever a revoked token holds open hears of it, in every process). Every
// token is in memory; the database is written on create and revoke, and at most once a minute for
// "last used".
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Announcements, reloader } from '../db/announcements.ts';
import { BackgroundWrites } from '../db/background-writes.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
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
  private byId = new Map<string, TokenRecord>();
  private readonly revokedListeners = new Set<(tokenId: string) => void>();
  private readonly reload = reloader(() => this.load());
  private readonly uses = new BackgroundWrites("Noting a token's use");

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
  ) {}

  /** Loads the tokens of a migrated database, and again whenever another process changes them. */
  static async open(db: PrismaClient, tables: SmallTables, announcements: Announcements): Promise<Tokens> {
    const tokens = new Tokens(db, tables, announcements);
    await tokens.reload();
    announcements.listen('ApiToken', () => tokens.reload());
    return tokens;
  }

  private async load(): Promise<void> {
    const rows = await this.tables.all('ApiToken');
    const before = this.byId;
    this.byId = new Map(rows.map((row) => [row.id, { ...row, scope: row.scope as Scope }]));
    // Revoked (here or by another process): what this process holds open for it is closed.
    for (const record of this.byId.values()) {
      if (record.revokedAt && before.has(record.id) && !before.get(record.id)!.revokedAt) this.tellRevoked(record.id);
    }
  }

  list(): TokenRecord[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** A new token; the returned token is the only time its secret is seen. */
  async create(input: { name: string; scope: Scope; person: string }): Promise<{ token: string; record: TokenRecord }> {
    const id = randomUUID().replaceAll('-', '').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = { id, ...input, secretHash: hash(secret).toString('hex'), createdAt: new Date(), lastUsedAt: null, revokedAt: null };
    await this.db.apiToken.create({ data: record });
    await this.changed();
    return { token: `lk_${id}_${secret}`, record };
  }

  /** Revokes at once: refused from now on, and what it holds open is closed. Null for an unknown id. */
  async revoke(id: string): Promise<TokenRecord | null> {
    const record = this.byId.get(id);
    if (!record) return null;
    if (record.revokedAt) return record;
    // Stored first, then read back: the copy in memory is only ever what the database says, so a
    // reload already under way cannot bring the token back. Reading it back tells the listeners.
    await this.db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    await this.changed();
    return this.byId.get(id)!;
  }

  /** After a write: this process's copy is read again, and the others are told. */
  private async changed(): Promise<void> {
    await this.reload();
    await this.announcements.announce('ApiToken');
  }

  private tellRevoked(id: string): void {
    for (const listener of this.revokedListeners) listener(id);
  }

  /** Finishes noting uses, before the database closes. */
  stop(): Promise<void> {
    return this.uses.settled();
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
    // Never in the request's way.
    this.uses.add(this.db.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: now } }));
  }
}
