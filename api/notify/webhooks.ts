// Webhooks: "needs you" sent to a chat tool or any URL, beside the page, through the same bounded,
// retried deliveries as Web Push; every target keeps its last outcome for the user to see.
import { createHmac, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { toStored as stored } from '../db/dates.ts';
import { titleOf } from '../attention/rules.ts';
import type { AttentionChange } from '../attention/service.ts';
import { type Attempt, Deliveries, type DeliveryOptions } from './deliveries.ts';
import type { Policies } from './policies.ts';
import type { News } from './policy.ts';

export const WEBHOOK_FORMATS = ['json', 'slack', 'discord', 'ntfy'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookTarget {
  id: string;
  url: string;
  format: WebhookFormat;
  secret: string | null;
  /** Only this person's sessions; null: everyone's. */
  person: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  /** "200", "500", "timeout", "gave up after 5 attempts: 500", ... */
  lastStatus: string | null;
  lastSuccessAt: Date | null;
  /** Only escalations: a second channel for waits that drag on. */
  onlyEscalations: boolean;
  /** From LOOKOUT_WEBHOOKS: not stored, not removable through the API. */
  fromEnvironment?: boolean;
}

/** The request a target gets for a change, in its format. */
export function webhookRequest(target: Pick<WebhookTarget, 'format' | 'secret'>, event: News, change: AttentionChange): { body: string; headers: Record<string, string> } {
  const { session, attention } = change;
  const where = [session.agent, session.project, session.branch].filter(Boolean).join(' · ');
  const headline = `${event === 'escalated' ? 'Still waiting · ' : ''}${attention!.label}: ${titleOf(session)}`;
  const line = [headline, attention!.detail, where].filter(Boolean).join('\n');
  switch (target.format) {
    case 'slack':
      return { body: JSON.stringify({ text: line }), headers: { 'content-type': 'application/json' } };
    case 'discord':
      return { body: JSON.stringify({ content: line }), headers: { 'content-type': 'application/json' } };
    case 'ntfy':
      return { body: [attention!.detail, where].filter(Boolean).join('\n') || headline, headers: { 'content-type': 'text/plain', title: headline, tags: event === 'escalated' ? 'warning' : 'bell' } };
    default: {
      const body = JSON.stringify({
        event,
        session: { id: session.id, title: session.title, agent: session.agent, project: session.project, branch: session.branch, host: session.host, owner: session.owner },
        attention: {
          reason: attention!.reason,
          label: attention!.label,
          detail: attention!.detail,
          since: attention!.since.toISOString(),
          escalatedAt: attention!.escalatedAt?.toISOString() ?? null,
        },
        seq: change.seq,
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.secret) headers['x-lookout-signature'] = `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
      return { body, headers };
    }
  }
}

export class Webhooks {
  private readonly targets = new Map<string, WebhookTarget>();
  private readonly deliveries: Deliveries;

  /** The targets kept in a migrated database (through the connection it keeps using), plus those of LOOKOUT_WEBHOOKS. */
  constructor(
    private readonly db: Database.Database,
    private readonly policies: Policies,
    fromEnvironment: { url: string; format: WebhookFormat }[] = [],
    options: DeliveryOptions = {},
  ) {
    this.deliveries = new Deliveries((id, attempt) => this.note(id, attempt), options);
    for (const row of this.db.prepare('SELECT * FROM WebhookTarget').all() as Record<string, string | null>[]) {
      const date = (v: string | null | undefined) => (v ? new Date(v) : null);
      this.targets.set(row.id!, {
        id: row.id!,
        url: row.url!,
        format: row.format as WebhookFormat,
        secret: row.secret ?? null,
        person: row.person ?? null,
        createdAt: new Date(row.createdAt!),
        lastAttemptAt: date(row.lastAttemptAt),
        lastStatus: row.lastStatus ?? null,
        lastSuccessAt: date(row.lastSuccessAt),
        onlyEscalations: !!row.onlyEscalations,
      });
    }
    fromEnvironment.forEach(({ url, format }, i) => {
      const id = `env-${i + 1}`;
      this.targets.set(id, { id, url, format, secret: null, person: null, createdAt: new Date(), lastAttemptAt: null, lastStatus: null, lastSuccessAt: null, onlyEscalations: false, fromEnvironment: true });
    });
  }

  list(): WebhookTarget[] {
    return [...this.targets.values()];
  }

  add(input: { url: string; format: WebhookFormat; secret?: string | null; person?: string | null; onlyEscalations?: boolean | null }): WebhookTarget {
    const target: WebhookTarget = {
      id: randomUUID(),
      url: input.url,
      format: input.format,
      secret: input.secret ?? null,
      person: input.person ?? null,
      onlyEscalations: input.onlyEscalations ?? false,
      createdAt: new Date(),
      lastAttemptAt: null,
      lastStatus: null,
      lastSuccessAt: null,
    };
    this.db
      .prepare('INSERT INTO WebhookTarget (id, url, format, secret, person, onlyEscalations, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(target.id, target.url, target.format, target.secret, target.person, target.onlyEscalations ? 1 : 0, stored(target.createdAt));
    this.targets.set(target.id, target);
    return target;
  }

  /** False for an unknown id, or one from LOOKOUT_WEBHOOKS (change the environment instead). */
  remove(id: string): WebhookTarget | null {
    const target = this.targets.get(id);
    if (!target || target.fromEnvironment) return null;
    this.db.prepare('DELETE FROM WebhookTarget WHERE id = ?').run(id);
    this.targets.delete(id);
    this.deliveries.forget(id);
    return target;
  }

  /** Called for every stored change: queues the news for each target that wants it, and returns at once. */
  readonly hear = (change: AttentionChange): void => {
    const event = this.policies.newsFor(change, new Date());
    if (!event) return;
    for (const target of this.targets.values()) {
      if (target.person && target.person !== change.session.owner) continue;
      if (target.onlyEscalations && event !== 'escalated') continue;
      this.deliveries.send(target.id, { url: target.url, ...webhookRequest(target, event, change) });
    }
  };

  stop(): void {
    this.deliveries.stop();
  }

  private note(id: string, { status, ok }: Attempt): void {
    const target = this.targets.get(id);
    if (!target) return;
    const now = new Date();
    target.lastAttemptAt = now;
    target.lastStatus = status;
    if (ok) target.lastSuccessAt = now;
    if (target.fromEnvironment) return;
    this.db.prepare('UPDATE WebhookTarget SET lastAttemptAt = ?, lastStatus = ?, lastSuccessAt = ? WHERE id = ?').run(stored(now), status, target.lastSuccessAt && stored(target.lastSuccessAt), target.id);
  }
}
