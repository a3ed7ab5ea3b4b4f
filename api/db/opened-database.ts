// What opening Lookout's database gives the server, whichever engine holds it.
import type { Announcements } from './announcements.ts';
import type { AttentionStore } from '../attention/store.ts';
import type { InsightsStore } from '../insights/store.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from './small-tables.ts';

/** Prisma's client, with the same models on either engine. */
export type Db = PrismaClient;

export interface OpenedDatabase {
  /** The attention service's storage: all its writes, and the reads on its hot path. */
  store: AttentionStore;
  /** The waits the Insights figures are computed from, and the figures. */
  insights: InsightsStore;
  /** Prisma: GraphQL's read queries, and the writes of the small tables (tokens, policies, webhooks, push). */
  db: Db;
  /** The small tables read whole, on the engine's own connection. */
  tables: SmallTables;
  /** How this process hears of the small tables' changes made by others. */
  announcements: Announcements;
  /** What keeps Lookout from serving now (the database unreachable, migrations pending); empty: ready. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}
