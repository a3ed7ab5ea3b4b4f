// Button presses and messages coming back from the chats: Slack's interaction requests (signed,
// checked before anything is read) and Telegram's updates, read by long polling getUpdates while
// this process leads (Telegram lets one poller have them; Lookout then needs no public address). A
// press answers through its answer link, only for the person whose linked account pressed it.
import { BackgroundWrites } from '../db/background-writes.ts';
import type { AttentionService } from '../attention/service.ts';
import type { AnswerLinks } from './answer-links.ts';
import type { Channels } from './channels.ts';
import { type Deliveries, undici } from './deliveries.ts';
import { ANSWER_ACTION, LINK_ACTION, slackEphemeral, slackPress, slackReplace, slackSigned } from './slack.ts';
import { methodUrl, type TelegramSettings, telegramAnswerPress, telegramSay, telegramUpdate } from './telegram.ts';

export class ChatPresses {
  private readonly work = new BackgroundWrites('Answering a chat\'s button');
  private polling: AbortController | null = null;
  private stopped = false;

  constructor(
    private readonly channels: Channels,
    private readonly links: AnswerLinks,
    private readonly deliveries: Deliveries,
    private readonly attention: AttentionService,
  ) {}

  /** Starts reading Telegram's updates, when a bot is set up. */
  start(): void {
    if (this.channels.settings.telegram) void this.poll(this.channels.settings.telegram);
  }

  /**
   * An interaction request from Slack: nothing is read before its signature is checked. A link
   * button links the member who pressed it, if they are the member the person named; an answer
   * button answers only for the person whose verified Slack member pressed it. Returns the HTTP
   * status to answer Slack with at once; the answer itself goes on in the background.
   */
  slackInteraction(headers: { timestamp?: string; signature?: string }, body: string): number {
    const slack = this.channels.settings.slack;
    if (!slack) return 404;
    if (!slackSigned(slack.signingSecret, headers.timestamp, headers.signature, body)) return 401;
    const press = slackPress(body);
    if (!press) return 200;
    const reply = (text: string) => press.message && this.deliveries.send(`slack ${press.message.channel}`, slackReplace(slack, press.message, text), () => {});
    // Said to the member who pressed, alone.
    const tell = (text: string) => press.message && this.deliveries.send(`slack ${press.message.channel}`, slackEphemeral(slack, press.message.channel, press.user, text), () => {});
    if (press.actionId === LINK_ACTION) {
      this.work.add(
        (async () => {
          // Only the member the person named links it: the code is not used up by anyone else's press.
          const person = await this.channels.redeem(press.value, 'slack', (named) => this.channels.channel(named, 'slack')?.address === press.user);
          if (!person) return tell('This link has expired or is not for you: set your Slack member id on Lookout\'s page again.');
          await this.channels.linked(person, 'slack', press.user);
          reply(`Linked: the prompts of ${person} come here, and you can answer them.`);
        })(),
      );
    } else if (press.actionId.startsWith(ANSWER_ACTION)) {
      this.work.add(
        (async () => {
          const used = await this.links.use(press.value, { page: false, chat: { source: 'SLACK', isPerson: (person) => this.channels.isFrom(person, 'slack', press.user) } });
          // Answered: every message of the prompt, this one too, is edited once the answer is stored.
          if (!used.ok) tell(used.said);
        })(),
      );
    }
    return 200;
  }

  /** Polls getUpdates while this process leads (Telegram lets one poller have them), until stopped. */
  private async poll(telegram: TelegramSettings): Promise<void> {
    let offset = 0;
    let failures = 0;
    while (!this.stopped) {
      if (!this.attention.leads) {
        await this.pause(1_000);
        continue;
      }
      this.polling = new AbortController();
      const { fetch } = await undici();
      const updates = await fetch(methodUrl(telegram, 'getUpdates'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ offset, timeout: telegram.pollSeconds, allowed_updates: ['message', 'callback_query'] }),
        signal: AbortSignal.any([this.polling.signal, AbortSignal.timeout((telegram.pollSeconds + 10) * 1000)]),
      })
        .then((res) => res.json() as Promise<{ ok?: boolean; result?: unknown[] }>)
        .catch(() => null);
      if (this.stopped) return;
      if (!updates?.ok || !Array.isArray(updates.result)) {
        // Telegram unreachable, or another poller (409): try again, less often each time.
        await this.pause(Math.min(30_000, 500 * 2 ** Math.min(failures++, 6)));
        continue;
      }
      failures = 0;
      for (const raw of updates.result) {
        const update = telegramUpdate(raw);
        if (!update) continue;
        offset = Math.max(offset, update.id + 1);
        await this.telegramUpdate(telegram, update).catch((error) => console.error('A Telegram update failed:', error));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.polling = new AbortController();
      this.polling.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async telegramUpdate(telegram: TelegramSettings, update: NonNullable<ReturnType<typeof telegramUpdate>>): Promise<void> {
    if (update.kind === 'start') {
      const person = await this.channels.redeem(update.code, 'telegram');
      if (!person) return this.deliveries.send(`telegram ${update.chat}`, telegramSay(telegram, update.chat, 'That code is not valid (or has expired): get a new one on Lookout\'s page.'), () => {});
      await this.channels.linked(person, 'telegram', update.chat);
      this.deliveries.send(`telegram ${update.chat}`, telegramSay(telegram, update.chat, `Linked: the prompts of ${person} come here, and you can answer them.`), () => {});
    } else if (update.kind === 'press') {
      // In a private chat the chat is the person who pressed; a group's other members are not.
      const used = await this.links.use(update.data, { page: false, chat: { source: 'TELEGRAM', isPerson: (person) => update.chat === update.from && this.channels.isFrom(person, 'telegram', update.chat) } });
      this.deliveries.send(`telegram ${update.chat}`, telegramAnswerPress(telegram, update.pressId, used.said), () => {});
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.polling?.abort();
    await this.work.settled();
  }
}
