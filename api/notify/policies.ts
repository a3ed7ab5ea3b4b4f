// Each person's notification policy, kept in the database and in memory (read again whenever
// another process changes one).
import { type Announcements, reloader } from '../db/announcements.ts';
import type { AttentionChange } from '../attention/vocabulary.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
import { DEFAULT_POLICY, type News, newsOf, type NotificationPolicy, type NotifyMode, shouldNotify } from './policy.ts';

export class Policies {
  private byPerson = new Map<string, NotificationPolicy>();
  private readonly updateListeners = new Set<() => Promise<void>>();
  private readonly reload = reloader(() => this.load());

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
  ) {}

  /** Loads every policy of a migrated database, and again whenever another process changes one. */
  static async open(db: PrismaClient, tables: SmallTables, announcements: Announcements): Promise<Policies> {
    const policies = new Policies(db, tables, announcements);
    await policies.reload();
    announcements.listen('NotificationPolicy', () => policies.updated());
    return policies;
  }

  private async load(): Promise<void> {
    const rows = await this.tables.all('NotificationPolicy');
    this.byPerson = new Map(
      rows.map(({ person, mode, mutedProjects, ...rest }) => [person, { ...rest, mode: mode as NotifyMode, mutedProjects: JSON.parse(mutedProjects) as string[] }]),
    );
  }

  of(person: string): NotificationPolicy {
    return this.byPerson.get(person) ?? DEFAULT_POLICY;
  }

  /** What a change tells its session's owner outside the page, as their policy says now; null: nothing. Every channel asks this. */
  newsFor(change: AttentionChange, now: Date): News | null {
    const news = newsOf(change.attention, change.previous);
    return news && shouldNotify(this.of(change.session.owner), news, change.attention!, change.session.project, now) ? news : null;
  }

  /** Hears every change of anyone's policy, here or in another process, once it applies. */
  onUpdated(listener: () => Promise<void>): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /** Stores a person's policy; it applies (to escalations too) before this resolves. */
  async set(person: string, policy: NotificationPolicy): Promise<NotificationPolicy> {
    const row = { ...policy, mutedProjects: JSON.stringify(policy.mutedProjects) };
    await this.db.notificationPolicy.upsert({ where: { person }, create: { person, ...row }, update: row });
    await this.updated();
    await this.announcements.announce('NotificationPolicy');
    return policy;
  }

  private async updated(): Promise<void> {
    await this.reload();
    await Promise.all([...this.updateListeners].map((listener) => listener()));
  }
}
