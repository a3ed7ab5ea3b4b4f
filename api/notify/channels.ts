// Each person's own channels: where their prompts go besides the page and their push devices (an
// ntfy topic, their Slack member id, their Telegram chat), under their notification policy, with a
// button per choice that answers through an answer link. Once a prompt is answered, wherever that
// was, the messages that offered it are edited to say so. Slack and Telegram count only once their
// owner proved the account is theirs (chat-presses.ts hears them).
import { randomBytes } from 'node:crypto';
import { type Announcements, reloader } from '../db/announcements.ts';
import { BackgroundWrites, LatestNotes } from '../db/background-writes.ts';
import { pendingPermission, requestOf } from '../attention/permissions.ts';
import type { AttentionChange } from '../attention/vocabulary.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
import type { AnswerChannel, AnswerLinks } from './answer-links.ts';
import { type Deliveries, type Outcome, undici } from './deliveries.ts';
import { type Notice, notice, outcomeOf } from './notice.ts';
import { ntfyNotice, ntfyOutcome, ntfyTopicProblem } from './ntfy.ts';
import type { Policies } from './policies.ts';
import type { PushHosts } from './push-endpoints.ts';
import { type SlackSettings, slackLinkRequest, slackNotice, slackOutcome } from './slack.ts';
import { methodUrl, type TelegramSettings, telegramNotice, telegramOutcome } from './telegram.ts';

export const CHANNEL_KINDS = ['ntfy', 'slack', 'telegram'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface PersonChannel {
  person: string;
  kind: ChannelKind;
  /** The ntfy topic's URL, the Slack member id, the Telegram chat id. */
  address: string;
  /** Its owner proved it is theirs (always, for ntfy: the topic is theirs to name). */
  verified: boolean;
  createdAt: Date;
  lastAttemptAt: Date | null;
  lastStatus: string | null;
  lastSuccessAt: Date | null;
}

export interface ChannelSettings {
  /** Where people reach Lookout from their phones (LOOKOUT_PUBLIC_URL): links and ntfy's buttons point there. */
  publicUrl: string | null;
  slack: SlackSettings | null;
  telegram: TelegramSettings | null;
  ntfyHosts: PushHosts;
}

export class ChannelNotConfiguredError extends Error {
  override name = 'ChannelNotConfiguredError';
  constructor(readonly kind: ChannelKind) {
    super(
      kind === 'slack'
        ? 'Slack is not set up on this Lookout: its operator sets LOOKOUT_SLACK_BOT_TOKEN and LOOKOUT_SLACK_SIGNING_SECRET.'
        : 'Telegram is not set up on this Lookout: its operator sets LOOKOUT_TELEGRAM_BOT_TOKEN.',
    );
  }
}

export class ChannelAddressError extends Error {
  override name = 'ChannelAddressError';
  constructor(
    readonly kind: ChannelKind,
    reason: string,
  ) {
    super(`That ${kind} address ${reason}.`);
  }
}

/** How long a code that links a chat account stays good. */
const LINK_CODE_MS = 15 * 60 * 1000;
/** Messages remembered, to edit once their prompt is answered: beyond it the oldest are forgotten (they keep their buttons, which then say the prompt is closed). */
const SENT_LIMIT = 10_000;

/** A message that offered answers to a prompt, and where it is once its service said (null until then). */
type Sent = { requestId: string; notice: Notice; person: string; closed: string | null } & (
  | { kind: 'ntfy'; topic: string }
  | { kind: 'slack'; message: { channel: string; ts: string } | null }
  | { kind: 'telegram'; message: { chat: string; id: number } | null }
);

const ANSWER_SOURCE: Record<ChannelKind, AnswerChannel> = { ntfy: 'NTFY', slack: 'SLACK', telegram: 'TELEGRAM' };

export class Channels {
  private byPerson = new Map<string, PersonChannel[]>();
  private readonly reload = reloader(() => this.load());
  private readonly work = new BackgroundWrites('Sending to a person\'s channel');
  /** Messages that offered answers, by session, until their prompt closes. */
  private readonly sent = new Map<string, Sent[]>();
  private sentCount = 0;
  /** Only a channel's latest outcome is kept: a burst of messages writes each channel's row once. */
  private readonly noted = new LatestNotes<Partial<PersonChannel>>(this.work, (key, data) => {
    const [person, kind] = key.split('\n') as [string, ChannelKind];
    return this.db.personChannel.updateMany({ where: { person, kind }, data });
  });

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
    private readonly policies: Policies,
    private readonly links: AnswerLinks,
    private readonly deliveries: Deliveries,
    readonly settings: ChannelSettings,
  ) {}

  static async open(
    db: PrismaClient,
    tables: SmallTables,
    announcements: Announcements,
    policies: Policies,
    links: AnswerLinks,
    deliveries: Deliveries,
    settings: ChannelSettings,
  ): Promise<Channels> {
    const channels = new Channels(db, tables, announcements, policies, links, deliveries, settings);
    await channels.reload();
    announcements.listen('PersonChannel', () => channels.reload());
    return channels;
  }

  private async load(): Promise<void> {
    const rows = await this.tables.all('PersonChannel');
    const byPerson = new Map<string, PersonChannel[]>();
    for (const row of rows) byPerson.set(row.person, [...(byPerson.get(row.person) ?? []), { ...row, kind: row.kind as ChannelKind }]);
    this.byPerson = byPerson;
  }

  /** A person's channels, as this process knows them. */
  of(person: string): PersonChannel[] {
    return this.byPerson.get(person) ?? [];
  }

  channel(person: string, kind: ChannelKind): PersonChannel | undefined {
    return this.of(person).find((c) => c.kind === kind);
  }

  /** A person's channels as stored, with their last delivery. */
  listed(person: string): Promise<PersonChannel[]> {
    return this.db.personChannel.findMany({ where: { person }, orderBy: { createdAt: 'asc' } }) as Promise<PersonChannel[]>;
  }

  private async save(person: string, kind: ChannelKind, address: string, verified: boolean): Promise<PersonChannel> {
    const fields = { address, verified, createdAt: new Date(), lastAttemptAt: null, lastStatus: null, lastSuccessAt: null };
    const row = await this.db.personChannel.upsert({ where: { person_kind: { person, kind } }, create: { person, kind, ...fields }, update: fields });
    await this.stored();
    return { ...row, kind: row.kind as ChannelKind };
  }

  /** Sends the person's prompts to an ntfy topic (ntfy.sh, or a server in LOOKOUT_NTFY_HOSTS). */
  async setNtfy(person: string, topicUrl: string): Promise<PersonChannel> {
    const problem = ntfyTopicProblem(topicUrl) ?? this.settings.ntfyHosts.refusal(topicUrl);
    if (problem) throw new ChannelAddressError('ntfy', problem);
    return this.save(person, 'ntfy', topicUrl, true);
  }

  /** Asks a Slack member, in a direct message, to confirm they are this person; their prompts go there once they do. */
  async setSlack(person: string, memberId: string): Promise<PersonChannel> {
    const slack = this.settings.slack;
    if (!slack) throw new ChannelNotConfiguredError('slack');
    if (!/^[UW][A-Z0-9]{2,20}$/.test(memberId)) throw new ChannelAddressError('slack', 'is not a Slack member id (U…, in your Slack profile: ⋮ → Copy member ID)');
    const channel = await this.save(person, 'slack', memberId, false);
    const code = await this.linkCode(person, 'slack');
    this.deliveries.send(`slack ${memberId}`, slackLinkRequest(slack, memberId, person, code), (outcome) => this.note(person, 'slack', outcome));
    return channel;
  }

  /** A one-time code the person sends the bot (`/start <code>`) from the chat their prompts should go to. */
  async linkTelegram(person: string): Promise<{ code: string; expiresAt: Date; url: string | null }> {
    const telegram = this.settings.telegram;
    if (!telegram) throw new ChannelNotConfiguredError('telegram');
    const code = await this.linkCode(person, 'telegram');
    const bot = await this.botName(telegram);
    return { code, expiresAt: new Date(Date.now() + LINK_CODE_MS), url: bot ? `https://t.me/${bot}?start=${code}` : null };
  }

  /** The bot's name, asked of Telegram once it is known (a bot's name does not change while Lookout runs). */
  private knownBotName: string | null = null;
  private async botName(telegram: TelegramSettings): Promise<string | null> {
    if (this.knownBotName) return this.knownBotName;
    const { fetch } = await undici();
    const answer = await fetch(methodUrl(telegram, 'getMe'), { signal: AbortSignal.timeout(5_000) })
      .then((res) => res.json() as Promise<{ result?: { username?: unknown } }>)
      .catch(() => null);
    const name = answer?.result?.username;
    return (this.knownBotName = typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : null);
  }

  private async linkCode(person: string, kind: ChannelKind): Promise<string> {
    const code = randomBytes(16).toString('base64url');
    await this.db.channelLinkCode.create({ data: { code, person, kind, expiresAt: new Date(Date.now() + LINK_CODE_MS) } });
    return code;
  }

  /** The person a code links, used up if `accepts` them; null when it is unknown, expired, of another kind or not accepted. */
  async redeem(code: string, kind: ChannelKind, accepts: (person: string) => boolean = () => true): Promise<string | null> {
    const found = await this.db.channelLinkCode.findUnique({ where: { code } });
    if (!found || found.kind !== kind || found.expiresAt <= new Date() || !accepts(found.person)) return null;
    const { count } = await this.db.channelLinkCode.deleteMany({ where: { code } });
    return count === 1 ? found.person : null;
  }

  async remove(person: string, kind: ChannelKind): Promise<PersonChannel | null> {
    const channel = this.channel(person, kind);
    if (!channel) return null;
    await this.db.personChannel.deleteMany({ where: { person, kind } });
    this.deliveries.forget(`${kind} ${channel.address}`);
    await this.stored();
    return channel;
  }

  private async stored(): Promise<void> {
    await this.reload();
    await this.announcements.announce('PersonChannel');
  }

  // ---- Sending --------------------------------------------------------------------------------

  /** Called for every change this process stored: queues what each of the owner's channels should hear, and returns at once. */
  readonly hear = (change: AttentionChange): void => {
    const now = new Date();
    const news = this.policies.newsFor(change, now);
    if (!news) return;
    const person = change.session.owner;
    const channels = this.of(person).filter((c) => c.verified && (c.kind === 'ntfy' || this.settings[c.kind]));
    if (channels.length === 0) return;
    const request = pendingPermission(change.session, now);
    this.work.add(
      Promise.all(
        channels.map(async (channel) => {
          const offers = request ? await this.links.offer(person, request, ANSWER_SOURCE[channel.kind]) : [];
          this.send(channel, notice(news, change, request, offers, this.settings.publicUrl));
        }),
      ),
    );
  };

  private send(channel: PersonChannel, shown: Notice): void {
    const { person, kind, address } = channel;
    // Remembered from now on, so that a prompt closed before its service answered is still said on it.
    const base = { requestId: shown.requestId ?? '', notice: shown, person, closed: null };
    const sent: Sent = kind === 'ntfy' ? { ...base, kind, topic: address } : { ...base, kind, message: null };
    if (shown.requestId) this.remember(sent);
    const made = (outcome: Outcome) => {
      const answer = this.note(person, kind, outcome) as { channel?: unknown; ts?: unknown; result?: { message_id?: unknown } } | null;
      if (sent.kind === 'slack' && typeof answer?.channel === 'string' && typeof answer.ts === 'string') sent.message = { channel: answer.channel, ts: answer.ts };
      if (sent.kind === 'telegram' && typeof answer?.result?.message_id === 'number') sent.message = { chat: address, id: answer.result.message_id };
      if (sent.closed && answer) this.tellOutcome(sent, sent.closed);
    };
    if (kind === 'ntfy') this.deliveries.send(`ntfy ${address}`, { ...ntfyNotice(address, shown), publicOnly: this.settings.ntfyHosts.guarded(address) }, made);
    else if (kind === 'slack') this.deliveries.send(`slack ${address}`, slackNotice(this.settings.slack!, address, shown), made);
    else this.deliveries.send(`telegram ${address}`, telegramNotice(this.settings.telegram!, address, shown), made);
  }

  private remember(sent: Sent): void {
    this.sent.set(sent.notice.sessionId, [...(this.sent.get(sent.notice.sessionId) ?? []), sent]);
    if (++this.sentCount > SENT_LIMIT) {
      const [oldest] = this.sent.keys();
      this.sentCount -= this.sent.get(oldest!)!.length;
      this.sent.delete(oldest!);
    }
  }

  /** Called for every change any process stored: the messages this process sent whose prompt it closed say what became of it, and lose their buttons. */
  readonly closeAnswered = (change: AttentionChange): void => {
    const sent = this.sent.get(change.session.id);
    if (!sent) return;
    const now = new Date();
    const open: Sent[] = [];
    for (const message of sent) {
      const request = requestOf(change.session, message.requestId);
      if (request && request.status === 'PENDING' && new Date(request.expiresAt) > now) open.push(message);
      else {
        message.closed = request ? outcomeOf(request, change.session.owner) : 'No longer waiting here.';
        this.tellOutcome(message, message.closed);
      }
    }
    this.sentCount -= sent.length - open.length;
    if (open.length) this.sent.set(change.session.id, open);
    else this.sent.delete(change.session.id);
  };

  /** Says on a message what became of its prompt; one whose service has not yet said where it is hears it once it does. */
  private tellOutcome(sent: Sent, outcome: string): void {
    const told = (result: Outcome) => this.note(sent.person, sent.kind, result);
    if (sent.kind === 'ntfy') this.deliveries.send(`ntfy ${sent.topic}`, { ...ntfyOutcome(sent.topic, sent.notice, outcome), publicOnly: this.settings.ntfyHosts.guarded(sent.topic) }, told);
    else if (sent.kind === 'slack' && sent.message && this.settings.slack) this.deliveries.send(`slack ${sent.message.channel}`, slackOutcome(this.settings.slack, sent.message, sent.notice, outcome), told);
    else if (sent.kind === 'telegram' && sent.message && this.settings.telegram) this.deliveries.send(`telegram ${sent.message.chat}`, telegramOutcome(this.settings.telegram, sent.message, sent.notice, outcome), told);
  }

  /**
   * A delivery's end, kept as the channel's last status (written in the background, a burst once);
   * returns what a chat API answered when it made the message (Slack's `ok: false` is a refusal).
   */
  private note(person: string, kind: ChannelKind, outcome: Outcome): unknown {
    const answer = outcome.answer as { ok?: unknown; error?: unknown; description?: unknown } | undefined;
    const refusedBy = answer && answer.ok === false ? String(answer.error ?? answer.description ?? 'refused') : null;
    const now = new Date();
    const delivered = outcome.kind === 'delivered' && !refusedBy;
    const noted = {
      lastAttemptAt: now,
      lastStatus: refusedBy ? `refused: ${refusedBy.slice(0, 200)}` : outcome.kind === 'gave up' ? `gave up after ${outcome.attempts} attempts: ${outcome.status}` : outcome.kind === 'refused' ? `refused: ${outcome.status}` : 'delivered',
      ...(delivered ? { lastSuccessAt: now } : {}),
    };
    const channel = this.channel(person, kind);
    if (channel) Object.assign(channel, noted);
    this.noted.note(`${person}\n${kind}`, noted);
    return delivered ? answer : null;
  }

  /** Whether a person's channel of `kind` is verified and at `address` (the chat or member that pressed a button). */
  isFrom(person: string, kind: ChannelKind, address: string): boolean {
    const channel = this.channel(person, kind);
    return !!channel?.verified && channel.address === address;
  }

  /** Links a chat account that proved to be the person's: their prompts go there from now on. */
  linked(person: string, kind: ChannelKind, address: string): Promise<PersonChannel> {
    return this.save(person, kind, address, true);
  }

  async stop(): Promise<void> {
    this.noted.flush();
    await this.work.settled();
  }
}
