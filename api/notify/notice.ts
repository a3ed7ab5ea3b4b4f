// A change as every chat channel (ntfy, Slack, Telegram) tells it: what needs the person, what is
// asked in full, and one button per choice. A button that lets the agent run something is offered
// only when the message shows all of what it allows; otherwise it opens the link's confirmation page,
// which does.
import { titleOf } from '../attention/rules.ts';
import type { PermissionRequest } from '../attention/permissions.ts';
import type { AttentionChange } from '../attention/vocabulary.ts';
import { ANSWER_CHANNELS, type Offer } from './answer-links.ts';
import type { News } from './policy.ts';

/** What a chat message shows of a prompt at most (Slack's section and Telegram's message both hold more). */
const ASKED_CHARS = 2_500;

export interface NoticeButton {
  label: string;
  /** ANSWER: pressing it answers (a chat button's value, or ntfy's POST). REVIEW: it opens the confirmation page. */
  does: 'ANSWER' | 'REVIEW';
  /** The link's token, and its page when Lookout has a public URL. */
  token: string;
  url: string | null;
}

export interface Notice {
  sessionId: string;
  /** The prompt it offers answers to; null when it offers none. */
  requestId: string | null;
  title: string;
  /** "Needs you · Permission: Bash", "Still waiting · …". */
  headline: string;
  /** Agent, project, branch. */
  where: string;
  /** What is asked, whole (a command, a plan, a question); null when nothing is, or it cannot be shown whole. */
  asked: string | null;
  buttons: NoticeButton[];
  /** The feed at this session, when Lookout has a public URL. */
  open: string | null;
}

const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu;

/** Text with each character a message or page would not show as it is (controls but tab and line breaks, zero-width and direction marks) named instead: ⟨U+202E⟩. */
export function nameHidden(text: string): string {
  return text.replace(HIDDEN, (c) => (c === '\n' || c === '\t' || c === '\r' ? c : `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`));
}

/** Text shown exactly as it is, or null: too long, or holding characters a message does not show (controls, zero-width and direction marks). */
export function shownAsIs(text: string, max = ASKED_CHARS): string | null {
  return text.length <= max && nameHidden(text) === text && text.trim() ? text : null;
}

/** What a prompt asks, as a message shows it: the question for a question, else the whole input. */
function askedOf(request: PermissionRequest): string {
  const [only] = request.questions ?? [];
  return request.kind === 'QUESTION' && only ? only.question : `${request.tool}: ${request.input}`;
}

export function notice(news: News, change: AttentionChange, request: PermissionRequest | null, offers: Offer[], publicUrl: string | null): Notice {
  const { session, attention } = change;
  // A question is asked here only when its options, each a button's label, show as they are too.
  const labelsShown = offers.every((offer) => shownAsIs(offer.label, 75) === offer.label);
  const asked = request && labelsShown ? shownAsIs(askedOf(request)) : null;
  const page = (token: string) => (publicUrl ? `${publicUrl}/answer/${token}` : null);
  const buttons: NoticeButton[] = offers.flatMap((offer): NoticeButton[] => {
    // A question's options are answered only when the question itself is shown.
    if (asked !== null) return [{ label: offer.label, does: 'ANSWER', token: offer.token, url: page(offer.token) }];
    if (offer.allows && publicUrl) return [{ label: `Review: ${offer.label}`, does: 'REVIEW', token: offer.token, url: page(offer.token) }];
    return offer.allows || request?.kind === 'QUESTION' ? [] : [{ label: offer.label, does: 'ANSWER', token: offer.token, url: page(offer.token) }];
  });
  // What the agent sent is shown with its hidden characters named: nothing in a message reads other than it is.
  return {
    sessionId: session.id,
    requestId: buttons.length ? request!.id : null,
    title: nameHidden(titleOf(session)),
    headline: nameHidden(`${news === 'escalated' ? 'Still waiting · ' : ''}${attention!.label}${attention!.detail && !asked ? ` · ${attention!.detail}` : ''}`),
    where: nameHidden([session.agent, session.project, session.branch].filter(Boolean).join(' · ')),
    asked,
    buttons,
    open: publicUrl ? `${publicUrl}/?session=${encodeURIComponent(session.id)}` : null,
  };
}

/** Answers only the session's owner gives: their own channels and links. */
const OWNER_ONLY = new Set<string>(ANSWER_CHANNELS);

/** What became of a prompt a message offered answers to, who answered it and when, in words, once it is no longer open. */
export function outcomeOf(request: PermissionRequest, owner: string): string {
  const when = request.answeredAt ? ` at ${new Date(request.answeredAt).toISOString().slice(11, 16)} UTC` : '';
  // From the page, the CLI or the API an admin may have answered: only the channels say who for sure.
  const via = request.answeredBy ? ` via ${request.answeredBy.toLowerCase()}${OWNER_ONLY.has(request.answeredBy) ? ` by ${nameHidden(owner)}` : ''}` : '';
  switch (request.status) {
    case 'ANSWERED':
    case 'DELIVERED': {
      const what =
        request.kind === 'QUESTION' && request.answers
          ? `Answered “${Object.values(request.answers).join('; ')}”`
          : request.decision === 'DENY'
            ? request.kind === 'PLAN' ? 'Sent back to keep planning' : 'Denied'
            : request.kind === 'PLAN' ? 'Plan approved' : request.decision === 'ALLOW_ALWAYS' ? 'Always allowed' : 'Allowed once';
      return `${what}${via}${when}.`;
    }
    case 'ANSWERED_IN_TERMINAL':
      return 'Answered in the terminal.';
    default:
      return 'No longer waiting here: answer it in the terminal.';
  }
}
