// Each person's notification policy, kept in the database file and in memory.
import type Database from 'better-sqlite3';
import type { AttentionChange } from '../attention/service.ts';
import { DEFAULT_POLICY, type News, newsOf, type NotificationPolicy, type NotifyMode, shouldNotify } from './policy.ts';

export class Policies {
  private readonly byPerson = new Map<string, NotificationPolicy>();

  /** Loads every policy of a migrated database, through the connection it keeps using. */
  constructor(private readonly db: Database.Database) {
    for (const row of this.db.prepare('SELECT * FROM NotificationPolicy').all() as Record<string, string | number | null>[]) {
      this.byPerson.set(String(row.person), {
        mode: row.mode as NotifyMode,
        mutedProjects: JSON.parse(String(row.mutedProjects)) as string[],
        quietFrom: row.quietFrom as number | null,
        quietUntil: row.quietUntil as number | null,
        timeZone: String(row.timeZone),
        escalateAfterMinutes: row.escalateAfterMinutes as number | null,
      });
    }
  }

  of(person: string): NotificationPolicy {
    return this.byPerson.get(person) ?? DEFAULT_POLICY;
  }

  /** What a change tells its session's owner outside the page, as their policy says now; null: nothing. Every channel asks this. */
  newsFor(change: AttentionChange, now: Date): News | null {
    const news = newsOf(change.attention, change.previous);
    return news && shouldNotify(this.of(change.session.owner), news, change.attention!, change.session.project, now) ? news : null;
  }

  set(person: string, policy: NotificationPolicy): NotificationPolicy {
    this.db
      .prepare(
        `INSERT INTO NotificationPolicy (person, mode, mutedProjects, quietFrom, quietUntil, timeZone, escalateAfterMinutes) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (person) DO UPDATE SET mode = excluded.mode, mutedProjects = excluded.mutedProjects, quietFrom = excluded.quietFrom,
           quietUntil = excluded.quietUntil, timeZone = excluded.timeZone, escalateAfterMinutes = excluded.escalateAfterMinutes`,
      )
      .run(person, policy.mode, JSON.stringify(policy.mutedProjects), policy.quietFrom, policy.quietUntil, policy.timeZone, policy.escalateAfterMinutes);
    this.byPerson.set(person, policy);
    return policy;
  }
}
