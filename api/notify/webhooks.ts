// Webhooks: "needs you" sent to a chat tool or any URL, beside the page, through the same bounded,
// retried deliveries as Web Push; every target keeps its last outcome for the user to see.
import { createHmac, randomUUID } from 'node:crypto';
import { type Announcements, reloader } from '../db/announcements.ts';
import { BackgroundWrites } from '../db/background-writes.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
import { titleOf } from '../attention/rules.ts';
import { pendingPermission } from '../attention/permissions.ts';
import type { AttentionChange } from '../attention/vocabulary.ts';
import type { Deliveries, Outcome } from './deliveries.ts';
import type { AnswerLinks } from './answer-links.ts';
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

/** A prompt's answer links, as a person's own target shows them: each opens a page that shows the prompt whole and answers once. */
export interface WebhookAnswer {
  requestId: string;
  choices: { label: string; url: string }[];
}

/** The request a target gets for a change, in its format; `answer` only for a target of the session's owner alone. */
export function webhookRequest(target: Pick<WebhookTarget, 'format' | 'secret'>, event: News, change: AttentionChange, answer: WebhookAnswer | null = null): { body: string; headers: Record<string, string> } {
  const { session, attention } = change;
  const where = [session.agent, session.project, session.branch].filter(Boolean).join(' · ');
  const headline = `${event === 'escalated' ? 'Still waiting · ' : ''}${attention!.label}: ${titleOf(session)}`;
  const links = answer ? answer.choices.map((choice) => `${choice.label}: ${choice.url}`) : [];
  const line = [headline, attention!.detail, where, ...links].filter(Boolean).join('\n');
  switch (target.format) {
    case 'slack':
      return { body: JSON.stringify({ text: line }), headers: { 'content-type': 'application/json' } };
    case 'discord':
      return { body: JSON.stringify({ content: line }), headers: { 'content-type': 'application/json' } };
    case 'ntfy':
      return {
        body: [attention!.detail, where].filter(Boolean).join('\n') || headline,
        headers: {
          'content-type': 'text/plain',
          title: headline,
          tags: event === 'escalated' ? 'warning' : 'bell',
          // Each opens the link's page (ntfy allows three); what it allows is read there before it is pressed.
          ...(answer ? { actions: answer.choices.slice(0, 3).map((choice) => `view, ${choice.label.replace(/[,;]/g, ' ')}, ${choice.url}`).join('; ') } : {}),
        },
      };
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
        ...(answer ? { answer } : {}),
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.secret) headers['x-lookout-signature'] = `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
      return { body, headers };
    }
  }
}

export class Webhooks {
  private targets = new Map<string, WebhookTarget>();
  private readonly fromEnvironment: WebhookTarget[];
  private readonly reload = reloader(() => this.load());
  private readonly notes = new BackgroundWrites('Noting a webhook delivery');

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
    private readonly policies: Policies,
    fromEnvironment: { url: string; format: WebhookFormat }[],
    private readonly deliveries: Deliveries,
    private readonly answers: { links: AnswerLinks; publicUrl: string | null },
  ) {
    this.fromEnvironment = fromEnvironment.map(({ url, format }, i) => ({
      id: `env-${i + 1}`,
      url,
      format,
      secret: null,
      person: null,
      createdAt: new Date(),
      lastAttemptAt: null,
      lastStatus: null,
      lastSuccessAt: null,
      onlyEscalations: false,
      fromEnvironment: true,
    }));
  }

  /** The targets kept in a migrated database (read again whenever another process changes them), plus those of LOOKOUT_WEBHOOKS. */
  static async open(
    db: PrismaClient,
    tables: SmallTables,
    announcements: Announcements,
    policies: Policies,
    fromEnvironment: { url: string; format: WebhookFormat }[],
    deliveries: Deliveries,
    answers: { links: AnswerLinks; publicUrl: string | null },
  ): Promise<Webhooks> {
    const webhooks = new Webhooks(db, tables, announcements, policies, fromEnvironment, deliveries, answers);
    await webhooks.reload();
    announcements.listen('WebhookTarget', () => webhooks.reload());
    return webhooks;
  }

  private async load(): Promise<void> {
    const rows = await this.tables.all('WebhookTarget');
    this.targets = new Map([
      ...rows.map((row) => [row.id, { ...row, format: row.format as WebhookFormat }] as const),
      ...this.fromEnvironment.map((target) => [target.id, target] as const),
    ]);
  }

  list(): WebhookTarget[] {
    return [...this.targets.values()];
  }

  async add(input: { url: string; format: WebhookFormat; secret?: string | null; person?: string | null; onlyEscalations?: boolean | null }): Promise<WebhookTarget> {
    const target = await this.db.webhookTarget.create({
      data: {
        id: randomUUID(),
        url: input.url,
        format: input.format,
        secret: input.secret ?? null,
        person: input.person ?? null,
        onlyEscalations: input.onlyEscalations ?? false,
        createdAt: new Date(),
      },
    });
    await this.stored();
    return { ...target, format: target.format as WebhookFormat };
  }

  /** Null for an unknown id, or one from LOOKOUT_WEBHOOKS (change the environment instead). */
  async remove(id: string): Promise<WebhookTarget | null> {
    const target = this.targets.get(id);
    if (!target || target.fromEnvironment) return null;
    await this.db.webhookTarget.deleteMany({ where: { id } });
    this.deliveries.forget(`webhook ${id}`);
    await this.stored();
    return target;
  }

  /** After a write: this process's copy is read again, and the others are told. */
  private async stored(): Promise<void> {
    await this.reload();
    await this.announcements.announce('WebhookTarget');
  }

  /**
   * Called for every stored change: queues the news for each target that wants it, and returns at
   * once. A target of the owner's alone also gets the prompt's answer links (when Lookout has a
   * public URL): a team's target never does, since a link answers for its person.
   */
  readonly hear = (change: AttentionChange): void => {
    const now = new Date();
    const event = this.policies.newsFor(change, now);
    if (!event) return;
    const owner = change.session.owner;
    const request = this.answers.publicUrl ? pendingPermission(change.session, now) : null;
    for (const target of this.targets.values()) {
      if (target.person && target.person !== owner) continue;
      if (target.onlyEscalations && event !== 'escalated') continue;
      const send = (answer: WebhookAnswer | null) =>
        this.deliveries.send(`webhook ${target.id}`, { url: target.url, ...webhookRequest(target, event, change, answer) }, (outcome) => this.note(target.id, outcome));
      if (!request || target.person !== owner) {
        send(null);
        continue;
      }
      this.notes.add(
        this.answers.links.offer(owner, request, 'LINK').then((offers) =>
          send(offers.length ? { requestId: request.id, choices: offers.map((offer) => ({ label: offer.label, url: `${this.answers.publicUrl}/answer/${offer.token}` })) } : null),
        ),
      );
    }
  };

  /** Finishes noting what was sent (the deliveries are stopped by their owner). */
  async stop(): Promise<void> {
    await this.notes.settled();
  }

  /** A delivery's end, as the admin who set the target sees it: that target's row alone is written, and this process's copy updated in place. */
  private note(id: string, { kind, status, attempts }: Outcome): void {
    const target = this.targets.get(id);
    if (!target) return;
    const now = new Date();
    const outcome = { lastAttemptAt: now, lastStatus: kind === 'gave up' ? `gave up after ${attempts} attempts: ${status}` : status, ...(kind === 'delivered' ? { lastSuccessAt: now } : {}) };
    Object.assign(target, outcome);
    // LOOKOUT_WEBHOOKS' targets live in memory only.
    if (!target.fromEnvironment) this.notes.add(this.db.webhookTarget.updateMany({ where: { id }, data: outcome }));
  }
}
