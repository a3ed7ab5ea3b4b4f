// Opens Lookout's PostgreSQL database, after bringing its schema up to date: a pool for the
// attention store, Prisma's client for GraphQL's reads and the small tables, and one coordinating
// connection per process that hears the others (LISTEN) and holds leadership (an advisory lock).
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Coordinated } from '../attention/store.ts';
import type { Announcements, SharedTable } from './announcements.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { PrismaClient as PostgresqlPrismaClient } from '../generated/prisma-postgresql/client.ts';
import { PrismaInsightsStore } from './insights-store.ts';
import type { OpenedDatabase } from './opened-database.ts';
import { applyMigrations, checkedInMigrations, unappliedMigrations } from './postgresql-migrations.ts';
import { type Coordination, LOG_CHANNEL, PostgresqlAttentionStore, withConnection } from './postgresql-store.ts';
import { converted, selectAll } from './small-tables.ts';

/** The advisory lock the leading process holds for as long as its coordinating connection lives. */
const LEADER_LOCK = 7_412_003;
const SETTINGS_CHANNEL = 'lookout_settings';
/** How often each process looks for log entries it was not told of, and tries to lead. */
const POLL_MS = 1_000;
/** A process whose connection broke tries to lead again only after this: another, healthy one goes first. */
const LEAD_AGAIN_AFTER_MS = 3 * POLL_MS;
/**
 * The coordinating connection's lease: PostgreSQL ends it when it has been idle this long
 * (idle_session_timeout), and with it the leader's lock. Each process speaks on it every POLL_MS, so
 * only a process that stopped (frozen, cut off from the database) loses it, and another leads.
 */
const LEASE_MS = 3 * POLL_MS;

// `timestamp` columns hold UTC (as Prisma writes them): read them as UTC, whatever the process's zone.
const TIMESTAMP_OID = 1114;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Applies pending migrations (under their lock) and returns the names applied: `lookout migrate`. */
export async function migratePostgresql(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await applyMigrations(client);
  } finally {
    await client.end();
  }
}

/**
 * This process's coordinating connection: it LISTENs for the others' appends and settings, polls
 * as a fallback, and tries to lead. When it breaks, this process stops leading and connects again.
 */
export class Coordinator implements Announcements, Coordination {
  private readonly origin = randomUUID();
  private client: pg.Client | undefined;
  private leads = false;
  private poll: NodeJS.Timeout | undefined;
  private ticking = false;
  /** After losing its connection, this process lets the others take the lead first (until then). */
  private notLeadingBefore = 0;
  private closed = false;
  private warnedNoLease = false;
  private readonly followers = new Set<Coordinated>();
  private readonly tables = new Map<SharedTable, Set<() => Promise<unknown>>>();

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.poll = setInterval(() => void this.tick(), POLL_MS);
    this.poll.unref();
  }

  follow(listeners: Coordinated): () => void {
    this.followers.add(listeners);
    listeners.leading(this.leads);
    return () => this.followers.delete(listeners);
  }

  async announce(table: SharedTable): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [SETTINGS_CHANNEL, `${this.origin} ${table}`]);
  }

  listen(table: SharedTable, reload: () => Promise<unknown>): () => void {
    const reloads = this.tables.get(table) ?? new Set();
    this.tables.set(table, reloads.add(reload));
    return () => reloads.delete(reload);
  }

  private reload(table: SharedTable): void {
    for (const reload of this.tables.get(table) ?? []) reload().catch((error) => console.error(`Reloading ${table} failed:`, error));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    this.setLeading(false);
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', ({ channel, payload = '' }) => {
      // Each append names the seq it ends at: a process that has read that far has nothing to read.
      if (channel === LOG_CHANNEL) return this.tellAppended(/^\d+$/.test(payload) ? Number(payload) : undefined);
      const [origin, table] = payload.split(' ');
      if (origin !== this.origin) this.reload(table as SharedTable);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LOG_CHANNEL}; LISTEN ${SETTINGS_CHANNEL}`);
      await client.query(`SET idle_session_timeout = ${LEASE_MS}`).catch((error: Error) => {
        if (!this.warnedNoLease) console.error(`No leadership lease (PostgreSQL 14 or later has one): a frozen leader leads until its connection ends. ${error.message}`);
        this.warnedNoLease = true;
      });
      if (this.closed) throw new Error('Closed meanwhile.');
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
    await this.tryToLead();
  }

  /** The connection broke: stop leading, and end it for sure, so that its lock is let go. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.setLeading(false);
    this.notLeadingBefore = Date.now() + LEAD_AGAIN_AFTER_MS;
    client.end().catch(() => {});
  }

  private async tick(): Promise<void> {
    // One at a time: a slow reconnect must not open a second connection beside it.
    if (this.closed || this.ticking) return;
    this.ticking = true;
    try {
      if (!this.client) {
        await this.connect();
        // What was missed while disconnected: the log, and every small table.
        for (const table of this.tables.keys()) this.reload(table);
      } else if (!this.leads && Date.now() >= this.notLeadingBefore) await this.tryToLead();
      // Renews the lease: a connection that says nothing for LEASE_MS is ended by PostgreSQL.
      else await this.client.query('SELECT 1');
    } catch {
      // Not reachable now: tried again on the next tick. /readyz says so meanwhile.
    } finally {
      this.ticking = false;
    }
    this.tellAppended();
  }

  private async tryToLead(): Promise<void> {
    if (Date.now() < this.notLeadingBefore) return;
    const { rows } = await this.client!.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LEADER_LOCK]);
    if (rows[0]!.locked) this.setLeading(true);
  }

  private setLeading(leads: boolean): void {
    if (this.leads === leads) return;
    this.leads = leads;
    for (const follower of this.followers) follower.leading(leads);
  }

  private tellAppended(seq?: number): void {
    for (const follower of this.followers) follower.appended(seq);
  }
}

/**
 * A pool whose connections PostgreSQL may end at any time (a restart, a failover,
 * pg_terminate_backend) without that being thrown at the process: an idle connection that breaks is
 * dropped, and so is one that breaks between queries while it changes hands (pg-pool lends a new
 * connection with no 'error' listener until its borrower's code runs, and a termination read in
 * that moment was an uncaught error that ended the process). A query in flight still fails with it.
 */
export function resilientPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function openPostgresql(url: string): Promise<OpenedDatabase> {
  await migratePostgresql(url);
  const migrations = await checkedInMigrations();
  // Up to 10 connections, kept open once made (a server's load comes back; no timer per idle one).
  // A statement that runs (or waits for a lock) 15 s fails, rather than holding a write forever:
  // enforced by the server, so no timer runs here per query.
  const pool = resilientPool({ connectionString: url, types, max: 10, idleTimeoutMillis: 0, options: '-c statement_timeout=15000' });
  const coordinator = new Coordinator(url, pool);
  await coordinator.start();
  const store = new PostgresqlAttentionStore(pool, coordinator);
  // The same models as the SQLite client's: one type for GraphQL's reads on either database.
  const prismaPool = resilientPool({ connectionString: url });
  const db = new PostgresqlPrismaClient({ adapter: new PrismaPg(prismaPool) }) as unknown as PrismaClient;
  return {
    store,
    db,
    tables: {
      all: async (table) => (await pool.query<Record<string, unknown>>(selectAll(table))).rows.map((row) => converted(table, row)),
    },
    insights: new PrismaInsightsStore(db, 'postgresql'),
    announcements: coordinator,
    async problems() {
      try {
        const pending = await withConnection(pool, (client) => unappliedMigrations(client, migrations));
        return pending.length ? [`${pending.length} migration(s) not applied: ${pending.join(', ')}`] : [];
      } catch (error) {
        // Said to anyone who asks (the probe needs no token): the reason goes to the log only.
        console.error('Readiness: the database cannot be reached:', (error as Error).message);
        return ['The database cannot be reached (the reason is in the server log).'];
      }
    },
    async close() {
      await coordinator.close();
      await db.$disconnect();
      await Promise.all([pool.end(), prismaPool.end()]);
    },
  };
}
