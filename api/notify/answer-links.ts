// Answer links: a prompt answered from outside the page (a link opened on a phone, an ntfy button, a
// Slack or Telegram button) without the person's token. Each link is one choice for one prompt, for
// one person, sent to one channel: its id is 128 random bits, the link carries the id and the id's
// HMAC under a key kept in the database (checked before anything is read), it works once, and it
// ends with the prompt. Using it answers through the service like the page does (same first answer
// wins, same "answers land"), logged with the channel it came from.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Announcements, reloader } from '../db/announcements.ts';
import type { AttentionService } from '../attention/service.ts';
import { type AnswerSource, type PermissionRequest, requestOf } from '../attention/permissions.ts';
import type { PrismaClient, Session } from '../generated/prisma/client.ts';
import type { SmallTables } from '../db/small-tables.ts';
import { sessionOfRequest } from '../../shared/hook-wire.ts';

/** The channels an answer link is sent to, each also the answer's source in the session's log: only the session's owner answers from them. */
export const ANSWER_CHANNELS = ['LINK', 'NTFY', 'SLACK', 'TELEGRAM'] as const satisfies readonly AnswerSource[];
export type AnswerChannel = (typeof ANSWER_CHANNELS)[number];

/** What a link answers: allow once or deny a prompt (approve or keep planning a plan), or pick one option of a question. */
export type Choice = { decision: 'ALLOW_ONCE' | 'DENY' } | { option: string };

/** One choice offered for a prompt, as a button or a link. */
export interface Offer {
  label: string;
  choice: Choice;
  /** It lets the agent run what the prompt shows: offered only where the whole of it is shown. */
  allows: boolean;
  /** The link's secret part: `/answer/<token>` and a chat button's value. */
  token: string;
}

/** A question's options beyond this are answered on the page. */
const MAX_OPTIONS = 5;
/** How long a link outlives its prompt in the table (so a late open says "expired", not "unknown"). */
const KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const SIGNATURE_BYTES = 16;
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

/** The choices a prompt offers outside the page; none for a form, a question of several parts or a plan kept in a file. */
export function choicesOf(request: PermissionRequest): Omit<Offer, 'token'>[] {
  switch (request.kind) {
    case 'PERMISSION':
      return [
        { label: 'Allow once', choice: { decision: 'ALLOW_ONCE' }, allows: true },
        { label: 'Deny', choice: { decision: 'DENY' }, allows: false },
      ];
    case 'PLAN':
      // A plan kept in a plan file reaches Lookout empty: it is read, and approved, in the terminal.
      return request.input.trim() && request.input.trim() !== '{}'
        ? [
            { label: 'Approve plan', choice: { decision: 'ALLOW_ONCE' }, allows: true },
            { label: 'Keep planning', choice: { decision: 'DENY' }, allows: false },
          ]
        : [];
    case 'QUESTION': {
      const [only, ...more] = request.questions ?? [];
      if (!only || more.length || only.multiSelect || only.options.length > MAX_OPTIONS) return [];
      return only.options.map((option) => ({ label: option.label, choice: { option: option.label }, allows: false }));
    }
    default:
      return [];
  }
}

/** What a choice does, in words: "Allow once", "Deny", "Answer “MIT”". */
export function choiceLabel(request: Pick<PermissionRequest, 'kind'>, choice: Choice): string {
  if ('option' in choice) return `Answer “${choice.option}”`;
  if (request.kind === 'PLAN') return choice.decision === 'DENY' ? 'Keep planning' : 'Approve plan';
  return choice.decision === 'DENY' ? 'Deny' : 'Allow once';
}

export type LinkProblem = 'INVALID' | 'USED' | 'EXPIRED' | 'NOT_YOURS' | 'CLOSED';

/** A link as its confirmation page shows it, or why it cannot be used. */
export type LinkView =
  | { ok: true; session: Session; request: PermissionRequest; choice: Choice; expiresAt: Date }
  | { ok: false; problem: LinkProblem; said: string };

/** What using a link came to. */
export type LinkUse = { ok: true; said: string } | { ok: false; problem: LinkProblem | 'REFUSED'; said: string };

interface LinkRow {
  id: string;
  person: string;
  requestId: string;
  choice: string;
  channel: string;
  expiresAt: Date;
  usedAt: Date | null;
  outcome: string | null;
}

const INVALID: LinkView & { ok: false } = { ok: false, problem: 'INVALID', said: 'This link is not valid: it may have been cut short or changed, or its key was rotated. Nothing was answered.' };

export class AnswerLinks {
  private key: Buffer = Buffer.alloc(0);
  private prunedAt = 0;
  private readonly reload = reloader(() => this.load());

  private constructor(
    private readonly db: PrismaClient,
    private readonly tables: SmallTables,
    private readonly announcements: Announcements,
    private readonly attention: AttentionService,
    private readonly mayAct: (person: string) => boolean,
  ) {}

  /**
   * The links of a migrated database, signed with its key (made now if it has none). `mayAct` says
   * whether a person may answer prompts now (a token of theirs that acts, not revoked): a link
   * answers for its person only while they may.
   */
  static async open(db: PrismaClient, tables: SmallTables, announcements: Announcements, attention: AttentionService, mayAct: (person: string) => boolean): Promise<AnswerLinks> {
    const links = new AnswerLinks(db, tables, announcements, attention, mayAct);
    if ((await tables.all('AnswerLinkKey')).length === 0) await links.newKey();
    await links.reload();
    announcements.listen('AnswerLinkKey', () => links.reload());
    return links;
  }

  private async load(): Promise<void> {
    // Processes that started together on a new database may each have made one: all use the newest.
    const [key] = await this.tables.all('AnswerLinkKey');
    if (!key) throw new Error('The database holds no answer link key.');
    this.key = Buffer.from(key.secret, 'base64url');
  }

  private async newKey(): Promise<void> {
    await this.db.answerLinkKey.create({ data: { id: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('base64url'), createdAt: new Date() } });
  }

  /** A new key: every link sent so far stops working. */
  async rotate(): Promise<void> {
    await this.db.$transaction([this.db.answerLinkKey.deleteMany(), this.db.answerLink.deleteMany()]);
    await this.newKey();
    await this.reload();
    await this.announcements.announce('AnswerLinkKey');
  }

  private sign(id: string): string {
    return createHmac('sha256', this.key).update(id).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
  }

  /** The link's id when its signature is right; null for anything else, before any read. */
  private idOf(token: string): string | null {
    const match = TOKEN.exec(token);
    if (!match) return null;
    // Compared as written: base64url's last character carries spare bits, so two spellings can decode alike.
    const given = Buffer.from(match[2]!);
    const expected = Buffer.from(this.sign(match[1]!));
    return given.length === expected.length && timingSafeEqual(given, expected) ? match[1]! : null;
  }

  /** The prompt's choices as links for one person on one channel, stored; in the choices' order. */
  async offer(person: string, request: PermissionRequest, channel: AnswerChannel): Promise<Offer[]> {
    const offers = choicesOf(request).map((choice) => {
      const id = randomBytes(16).toString('base64url');
      return { ...choice, id, token: `${id}.${this.sign(id)}` };
    });
    if (offers.length === 0) return [];
    // Links of ended prompts go while new ones are made: the table holds about a day's.
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await this.prune();
    }
    const expiresAt = new Date(request.expiresAt);
    await this.db.answerLink.createMany({
      data: offers.map(({ id, choice }) => ({ id, person, requestId: request.id, choice: JSON.stringify(choice), channel, expiresAt })),
    });
    return offers.map(({ id: _id, ...offer }) => offer);
  }

  /** Reads a link for its confirmation page: what it answers, in full, or why it cannot. */
  async look(token: string, now = new Date()): Promise<LinkView> {
    const id = this.idOf(token);
    if (!id) return INVALID;
    const link = await this.db.answerLink.findUnique({ where: { id } });
    if (!link) return INVALID;
    return this.view(link, now);
  }

  private async view(link: LinkRow, now: Date): Promise<LinkView> {
    if (link.usedAt) return { ok: false, problem: 'USED', said: `This link was already used (${link.usedAt.toISOString()}): ${link.outcome ?? 'answered'}` };
    if (link.expiresAt <= now) return { ok: false, problem: 'EXPIRED', said: 'This link has expired: the agent stopped waiting for an answer here. Answer it in the terminal.' };
    const session = await this.db.session.findUnique({ where: { id: sessionOfRequest(link.requestId) } });
    const request = session && requestOf(session, link.requestId);
    if (!session || !request) return INVALID;
    if (session.owner !== link.person) return { ok: false, problem: 'NOT_YOURS', said: "This link is not for this prompt's owner: nothing was answered." };
    if (!this.mayAct(link.person)) return { ok: false, problem: 'NOT_YOURS', said: 'This link\'s person may no longer answer prompts (no token of theirs that acts is left): nothing was answered.' };
    if (request.status !== 'PENDING' || new Date(request.expiresAt) <= now) {
      return { ok: false, problem: 'CLOSED', said: request.status === 'EXPIRED' || request.status === 'PENDING' ? 'The agent stopped waiting for an answer here: answer it in the terminal.' : 'This prompt was already answered.' };
    }
    return { ok: true, session, request, choice: JSON.parse(link.choice) as Choice, expiresAt: link.expiresAt };
  }

  /**
   * Uses a link once: checks its signature, then whether it is still good (and, for a chat's button,
   * whether the account that pressed it is the person's), claims it, and answers through the service
   * as its person, logged with where it was used. A second use, and anything refused, changes nothing.
   */
  async use(
    token: string,
    from: { page: true } | { page: false; chat?: { source: Extract<AnswerChannel, 'SLACK' | 'TELEGRAM'>; isPerson: (person: string) => boolean } },
    now = new Date(),
  ): Promise<LinkUse> {
    const chat = from.page ? undefined : from.chat;
    const id = this.idOf(token);
    if (!id) return INVALID;
    const link = await this.db.answerLink.findUnique({ where: { id } });
    if (!link) return INVALID;
    if (chat && !chat.isPerson(link.person)) return { ok: false, problem: 'NOT_YOURS', said: 'This button is for another person: nothing was answered.' };
    const view = await this.view(link, now);
    if (!view.ok) return view;
    // Claimed first: of two uses at once, one goes on.
    const { count } = await this.db.answerLink.updateMany({ where: { id, usedAt: null }, data: { usedAt: now } });
    if (count === 0) return this.view({ ...link, usedAt: now }, now) as Promise<LinkUse>;
    const { request, choice } = view;
    // Where it was used: the chat that pressed it, the link's page, or ntfy's button (which posts to the link).
    const channel: AnswerChannel = chat?.source ?? (!from.page && link.channel === 'NTFY' ? 'NTFY' : 'LINK');
    const actor = { person: link.person, admin: false };
    let said: string;
    try {
      if ('option' in choice) {
        await this.attention.answerQuestion(request.id, { answers: [{ question: request.questions![0]!.question, choices: [choice.option] }], by: channel }, actor);
        said = `Answered “${choice.option}”.`;
      } else {
        await this.attention.answerPermission(request.id, { decision: choice.decision, by: channel }, actor);
        said = `${choice.decision === 'DENY' ? (request.kind === 'PLAN' ? 'Sent back to keep planning' : 'Denied') : request.kind === 'PLAN' ? 'Plan approved' : 'Allowed once'}: the agent got it.`;
      }
    } catch (error) {
      // Refused while the prompt stays open (the store was busy, say): the link is not used up.
      if ((await this.view(link, new Date())).ok) {
        await this.db.answerLink.updateMany({ where: { id }, data: { usedAt: null } });
        return { ok: false, problem: 'REFUSED', said: `Not answered: ${(error as Error).message} The link still works.` };
      }
      said = `Not answered: ${(error as Error).message}`;
      await this.db.answerLink.updateMany({ where: { id }, data: { outcome: said } });
      return { ok: false, problem: 'REFUSED', said };
    }
    await this.db.answerLink.updateMany({ where: { id }, data: { outcome: said } });
    return { ok: true, said };
  }

  /** Drops links a day after their prompts ended, and codes that expired. */
  private async prune(now = new Date()): Promise<void> {
    await this.db.answerLink.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - KEPT_AFTER_EXPIRY_MS) } } });
    await this.db.channelLinkCode.deleteMany({ where: { expiresAt: { lt: now } } });
  }
}
