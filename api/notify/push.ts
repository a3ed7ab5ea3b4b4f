// Web Push: "needs you" sent to every browser and phone a person asked to be notified on, through
// their browser's push service, encrypted to the device (aes128gcm) and signed with Lookout's own
// VAPID key pair, made at first start and kept in the database. The same policy as every channel
// decides; a device whose page is in front of its user gets nothing (they are looking).
import { createHash } from 'node:crypto';
import webpush from 'web-push';
import { type Announcements, reloader } from '../db/announcements.ts';
import { BackgroundWrites, LatestNotes } from '../db/background-writes.ts';
import type { AttentionChange } from '../attention/vocabulary.ts';
import { type PermissionRequest, pendingPermission, requestOf } from '../attention/permissions.ts';
import { outcomeOf } from './notice.ts';
import { titleOf } from '../attention/rules.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
import type { Deliveries, Outcome } from './deliveries.ts';
import type { Policies } from './policies.ts';
import type { PushHosts } from './push-endpoints.ts';
import { isLooking, type News } from './policy.ts';

export interface PushDevice {
  endpoint: string;
  person: string;
  p256dh: string;
  auth: string;
  label: string;
  createdAt: Date;
  lastAttemptAt: Date | null;
  lastStatus: string | null;
  lastSuccessAt: Date | null;
  /** Until when its page is visible and focused (the page renews it). */
  lookingUntil: Date | null;
}

/** What the service worker gets: everything it shows and does, nothing more. */
export interface PushMessage {
  sessionId: string;
  title: string;
  body: string;
  /** A newer notification for the session replaces an older one. */
  tag: string;
  /** Where a click opens the feed, relative to the page. */
  url: string;
  escalated: boolean;
  /**
   * Present when the prompt can be answered from here, and the notification shows it whole: allow or
   * deny; for a question, its options (a single choice between at most two, each its own button).
   */
  answer: { requestId: string; kind: 'PERMISSION' | 'PLAN' } | { requestId: string; kind: 'QUESTION'; question: string; options: string[] } | null;
  /** Present on the message that replaces one whose prompt was answered (anywhere) or closed: shown without a sound. */
  closed?: true;
}

/** Buttons a notification shows at most (Chrome's and Android's limit): a question with more opens the feed. */
const NOTIFICATION_ACTIONS = 2;

/** A person's devices at most: enough for every browser and phone they use. */
export const MAX_DEVICES_PER_PERSON = 20;

/** What a device's last push came to, in words; never what an arbitrary host answered. */
const LAST_STATUS: Record<Outcome['kind'], (outcome: Outcome) => string> = {
  delivered: () => 'delivered',
  refused: () => 'refused by the push service',
  'gave up': ({ attempts }) => `gave up after ${attempts} attempts`,
};

export class TooManyPushDevicesError extends Error {
  override name = 'TooManyPushDevicesError';
  constructor(readonly limit: number) {
    super(`You have ${limit} devices, the most a person may have: remove one you no longer use first.`);
  }
}

export class PushEndpointError extends Error {
  override name = 'PushEndpointError';
  constructor(
    readonly endpoint: string,
    reason: string,
  ) {
    super(`The push endpoint ${reason}.`);
  }
}

/** Sessions remembered as offering answers in a notification; beyond it the oldest keep their buttons (which then say the prompt is closed). */
const MAX_OFFERED = 10_000;
/** How long a page's "I am looking" holds unless renewed; the page renews it well before. */
export const LOOKING_FOR_MS = 90_000;
/** A prompt is answerable from a notification only when all of it fits in the notification. */
const ANSWERABLE_INPUT_CHARS = 300;
const BODY_CHARS = 1_000;
/** How long a VAPID header is valid (push services take at most 24 hours). */
const VAPID_VALID_SECONDS = 12 * 60 * 60;
/** How long a push service keeps a message for a device that is offline. */
const TTL_SECONDS = 12 * 60 * 60;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * A prompt's input as a notification can show it whole, on one line: runs of spaces as one, each
 * run of whitespace holding a line break as " ↵ " (so nothing hides after blank lines). Null when it
 * cannot be shown whole: too long, or holding characters a notification does not show as they are
 * (controls, zero-width and direction marks).
 */
export function shownWhole(input: string): string | null {
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/u.test(input.replace(/[\t\n\r]/g, ' '))) return null;
  const shown = input
    .replace(/\s*[\n\r\u2028\u2029]\s*/g, ' ↵ ')
    .replace(/\s+/g, ' ')
    .trim();
  return shown.length <= ANSWERABLE_INPUT_CHARS ? shown : null;
}

/** A question a notification can ask whole, with one button per option: one question, one choice of at most two, all shown whole. */
function buttonsFor(request: PermissionRequest): { question: string; options: string[] } | null {
  const [only, ...more] = request.questions ?? [];
  if (!only || more.length || only.multiSelect || only.options.length > NOTIFICATION_ACTIONS) return null;
  const question = shownWhole(only.question);
  const options = only.options.map((option) => option.label);
  // A button sends its label back exactly: one shown otherwise (long, or changed to be shown) is not offered.
  return question && options.every((label) => label.length <= 40 && shownWhole(label) === label) ? { question, options } : null;
}

/** The message a change sends, as the service worker shows it. */
export function pushMessage(news: News, change: AttentionChange, now: Date): PushMessage {
  const { session, attention } = change;
  const label = `${news === 'escalated' ? 'Still waiting · ' : ''}${attention!.label}`;
  const request = pendingPermission(session, now);
  const asked = request?.kind === 'QUESTION' ? buttonsFor(request) : null;
  // An MCP server's form is filled in on the page: a tap opens it there.
  const shown = request && (request.kind === 'PERMISSION' || request.kind === 'PLAN') ? shownWhole(request.input) : null;
  const answerable = shown === null ? null : request;
  // An answerable prompt shows its whole input: nobody allows what they cannot read.
  const detail = asked ? asked.question : answerable ? `${answerable.tool}: ${shown}` : attention!.detail;
  // Where it runs, unless the title already says so (a session with no prompt yet is titled by it).
  const where = session.title ? [session.project, session.branch].filter(Boolean).join(' · ') : '';
  return {
    sessionId: session.id,
    title: clip(titleOf(session), 200),
    body: clip([detail ? `${label} · ${detail}` : label, where].filter(Boolean).join('\n'), BODY_CHARS),
    tag: `session-${session.id}`,
    url: `/?session=${encodeURIComponent(session.id)}`,
    escalated: news === 'escalated',
    answer: asked
      ? { requestId: request!.id, kind: 'QUESTION', question: asked.question, options: asked.options }
      : answerable
        ? { requestId: answerable.id, kind: answerable.kind as 'PERMISSION' | 'PLAN' }
        : null,
  };
}

/** The push service replaces a not yet delivered message with a newer one of the same topic: one per session. */
const topicOf = (sessionId: string) => createHash('sha256').update(sessionId).digest('base64url').slice(0, 32);

export class Push {
  private devices = new Map<string, PushDevice>();
  private keys = { publicKey: '', privateKey: '' };
  /** Per push service origin, its signed VAPID header. */
  private readonly signed = new Map<string, { header: string; renewAt: number }>();
  private readonly reload = reloader(() => this.load());
  private readonly notes = new BackgroundWrites('Noting a push delivery');
  /** Only a device's latest outcome is kept: a burst of pushes writes each device's row once. */
  private readonly noted = new LatestNotes<Partial<PushDevice>>(this.notes, (endpoint, data) => this.db.pushDevice.updateMany({ where: { endpoint }, data }));
  /** Sessions whose last push offered answers to a prompt, and that prompt: its notification says so once it closes. */
  private readonly offered = new Map<string, string>();

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
    private readonly policies: Policies,
    private readonly subject: string,
    private readonly deliveries: Deliveries,
    private readonly hosts: PushHosts,
  ) {}

  /** The devices and key pair kept in a migrated database (the pair made now if it has none), read again whenever another process changes them. */
  static async open(db: PrismaClient, tables: SmallTables, announcements: Announcements, policies: Policies, subject: string, deliveries: Deliveries, hosts: PushHosts): Promise<Push> {
    const push = new Push(db, tables, announcements, policies, subject, deliveries, hosts);
    if ((await tables.all('VapidKeys')).length === 0) {
      await db.vapidKeys.create({ data: webpush.generateVAPIDKeys() });
      await announcements.announce('VapidKeys');
    }
    await push.reload();
    announcements.listen('PushDevice', () => push.reload());
    announcements.listen('VapidKeys', () => push.reload());
    return push;
  }

  private async load(): Promise<void> {
    // Processes that started together on a new database may each have made a pair: all use the same one.
    const [keys] = await this.tables.all('VapidKeys');
    if (!keys) throw new Error('The database holds no VAPID keys.');
    this.keys = keys;
    this.signed.clear();
    this.devices = new Map((await this.tables.all('PushDevice')).map((device) => [device.endpoint, device]));
  }

  /** Lookout's public VAPID key: browsers subscribe with it. */
  get publicKey(): string {
    return this.keys.publicKey;
  }

  /** A person's devices, as this process knows them. */
  of(person: string): PushDevice[] {
    return [...this.devices.values()].filter((d) => d.person === person);
  }

  /** A person's devices as stored, with their last delivery (noted by whichever process sent it). */
  listed(person: string): Promise<PushDevice[]> {
    return this.db.pushDevice.findMany({ where: { person }, orderBy: { createdAt: 'asc' } });
  }

  /**
   * Adds this browser's subscription for the person (a browser that subscribes again replaces its
   * old one). Refused: an endpoint that is not at a push service, another person's endpoint, and a
   * device beyond the person's limit.
   */
  async add(person: string, subscription: { endpoint: string; p256dh: string; auth: string; label: string }): Promise<PushDevice> {
    const refusal = this.hosts.refusal(subscription.endpoint);
    if (refusal) throw new PushEndpointError(subscription.endpoint, refusal);
    const fields = { ...subscription, person, createdAt: new Date(), lastAttemptAt: null, lastStatus: null, lastSuccessAt: null, lookingUntil: null };
    const device = await this.db.$transaction(async (tx) => {
      const existing = await tx.pushDevice.findUnique({ where: { endpoint: subscription.endpoint } });
      if (existing && existing.person !== person) throw new PushEndpointError(subscription.endpoint, 'is already a device of another person');
      if (existing) return tx.pushDevice.update({ where: { endpoint: subscription.endpoint }, data: fields });
      if ((await tx.pushDevice.count({ where: { person } })) >= MAX_DEVICES_PER_PERSON) throw new TooManyPushDevicesError(MAX_DEVICES_PER_PERSON);
      return tx.pushDevice.create({ data: fields });
    });
    await this.stored();
    return device;
  }

  /** Null when the person has no such device. */
  async remove(person: string, endpoint: string): Promise<PushDevice | null> {
    const device = this.devices.get(endpoint);
    if (!device || device.person !== person) return null;
    await this.forget(endpoint);
    return device;
  }

  /** The page on this device is (or stops being) in front of its user; null when the person has no such device. */
  async setLooking(person: string, endpoint: string, looking: boolean, now = new Date()): Promise<PushDevice | null> {
    const device = this.devices.get(endpoint);
    if (!device || device.person !== person) return null;
    await this.db.pushDevice.updateMany({ where: { endpoint }, data: { lookingUntil: looking ? new Date(now.getTime() + LOOKING_FOR_MS) : null } });
    await this.stored();
    return this.devices.get(endpoint) ?? null;
  }

  /** Called for every change this process stored: queues a push for each of the owner's devices that should hear it, and returns at once. */
  readonly hear = (change: AttentionChange): void => {
    const now = new Date();
    const news = this.policies.newsFor(change, now);
    if (!news) return;
    const message = pushMessage(news, change, now);
    if (message.answer) this.offer(change.session.id, message.answer.requestId);
    this.sendTo(change.session.owner, message, now);
  };

  private offer(sessionId: string, requestId: string): void {
    this.offered.delete(sessionId);
    this.offered.set(sessionId, requestId);
    if (this.offered.size > MAX_OFFERED) this.offered.delete(this.offered.keys().next().value!);
  }

  /**
   * Called for every change any process stored: a notification this process sent whose prompt closed
   * (answered here or anywhere else, or given up) is replaced by what became of it, without its buttons.
   */
  readonly closeAnswered = (change: AttentionChange): void => {
    const now = new Date();
    const requestId = this.offered.get(change.session.id);
    if (!requestId) return;
    const request = requestOf(change.session, requestId);
    if (request?.status === 'PENDING' && new Date(request.expiresAt) > now) return;
    this.offered.delete(change.session.id);
    const { session } = change;
    this.sendTo(
      session.owner,
      { sessionId: session.id, title: clip(titleOf(session), 200), body: request ? outcomeOf(request, session.owner) : 'No longer waiting.', tag: `session-${session.id}`, url: `/?session=${encodeURIComponent(session.id)}`, escalated: false, answer: null, closed: true },
      now,
    );
  };

  private sendTo(owner: string, message: PushMessage, now: Date): void {
    // A device stored before today's rules (another host, more than a person may have) hears nothing: the newest that pass do.
    const devices = this.of(owner)
      .filter((device) => this.hosts.refusal(device.endpoint) === null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, MAX_DEVICES_PER_PERSON)
      .filter((device) => !isLooking(device, now));
    if (devices.length === 0) return;
    const payload = JSON.stringify(message);
    for (const device of devices) {
      // Encrypted to the device here; signed with the push service's kept VAPID header.
      const request = webpush.generateRequestDetails({ endpoint: device.endpoint, keys: { p256dh: device.p256dh, auth: device.auth } }, payload, {
        TTL: TTL_SECONDS,
        urgency: message.closed ? 'normal' : 'high',
        topic: topicOf(message.sessionId),
      });
      const headers = { ...(request.headers as Record<string, string>), Authorization: this.vapidHeader(device.endpoint, now.getTime()) };
      this.deliveries.send(
        `push ${device.endpoint}`,
        { url: request.endpoint, headers, body: request.body as Buffer, publicOnly: this.hosts.guarded(device.endpoint) },
        (outcome) => this.note(device.endpoint, outcome),
      );
    }
  }

  /**
   * The VAPID header for a push service (RFC 8292): a JWT for its origin, signed once and kept until
   * an hour before it expires (12 hours), not signed again for every push.
   */
  private vapidHeader(endpoint: string, now: number): string {
    const audience = new URL(endpoint).origin;
    const kept = this.signed.get(audience);
    if (kept && kept.renewAt > now) return kept.header;
    const expires = Math.floor(now / 1000) + VAPID_VALID_SECONDS;
    const { Authorization } = webpush.getVapidHeaders(audience, this.subject, this.keys.publicKey, this.keys.privateKey, 'aes128gcm', expires) as { Authorization: string };
    this.signed.set(audience, { header: Authorization, renewAt: (expires - 3600) * 1000 });
    return Authorization;
  }

  /** Finishes noting what was sent (the deliveries are stopped by their owner). */
  async stop(): Promise<void> {
    this.noted.flush();
    await this.notes.settled();
  }

  private async forget(endpoint: string): Promise<void> {
    await this.db.pushDevice.deleteMany({ where: { endpoint } });
    this.deliveries.forget(`push ${endpoint}`);
    await this.stored();
  }

  /** After a write: this process's copy is read again, and the others are told. */
  private async stored(): Promise<void> {
    await this.reload();
    await this.announcements.announce('PushDevice');
  }

  /** A delivery's end: that device's row alone is written, and this process's copy updated in place. */
  private note(endpoint: string, outcome: Outcome): void {
    const device = this.devices.get(endpoint);
    if (!device) return;
    // The push service says the subscription is gone (unsubscribed, expired): so is the device.
    if (outcome.status === '404' || outcome.status === '410') return this.notes.add(this.forget(endpoint));
    const now = new Date();
    const noted = { lastAttemptAt: now, lastStatus: LAST_STATUS[outcome.kind](outcome), ...(outcome.kind === 'delivered' ? { lastSuccessAt: now } : {}) };
    Object.assign(device, noted);
    this.noted.note(endpoint, noted);
  }
}
