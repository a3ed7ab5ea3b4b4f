// One session in the feed: why it needs you, since when, and what you can do about it. Over 400
// lines because each kind of prompt's answer (a permission, a question, an MCP server's form) is
// drawn here, beside the item whose focus, keys and busy state they share.
import { useEffect, useRef, useState } from 'react';
import { type FragmentType, graphql, useFragment } from '../gql';
import type { ElicitationAction, ElicitationValueInput, FeedItem_SessionFragment } from '../gql/graphql.ts';
import { isOpenableLink } from '../../../shared/links.ts';
import { elapsedInWords, formatElapsed, untilElapsedChanges } from '../../../shared/elapsed.ts';
import { nextMorning } from './time.ts';

export const FeedItemFragment = graphql(`
  fragment FeedItem_session on Session {
    id
    title
    project
    branch
    host
    link
    agent
    attention {
      tier
      reason
      label
      detail
      since
      escalated
    }
    pendingPermissions {
      id
      kind
      tool
      input
      alwaysAllowRule
      fromSubagent
      questions {
        question
        header
        multiSelect
        options {
          label
          description
        }
      }
      elicitation {
        server
        message
        fields {
          name
          title
          description
          type
          required
          options {
            value
            label
          }
          minimum
          maximum
          minLength
          maxLength
          format
          default
        }
      }
    }
  }
`);

/** Agents by the names their users know them by. */
export const AGENT_NAMES: Record<string, string> = { 'claude-code': 'Claude Code', codex: 'Codex' };

export type PermissionDecision = 'ALLOW_ONCE' | 'ALLOW_ALWAYS' | 'DENY';

export type FeedAction =
  | { kind: 'seen' }
  | { kind: 'hide' }
  | { kind: 'snooze'; until: Date }
  | { kind: 'answer'; requestId: string; decision: PermissionDecision; message?: string }
  | { kind: 'answerQuestion'; requestId: string; answers: { question: string; choices: string[]; other?: string }[] }
  | { kind: 'answerElicitation'; requestId: string; action: ElicitationAction; values: ElicitationValueInput[] };

export const SNOOZE_CHOICES: { label: string; until: (now: Date) => Date }[] = [
  { label: '15 min', until: (now) => new Date(now.getTime() + 15 * 60_000) },
  { label: '1 hour', until: (now) => new Date(now.getTime() + 60 * 60_000) },
  { label: 'Tomorrow 9:00', until: nextMorning },
];

interface Props {
  session: FragmentType<typeof FeedItemFragment>;
  selected: boolean;
  /** The item Tab reaches in the feed (one at a time: the arrow keys and j/k move between them). */
  tabbable: boolean;
  showHost: boolean;
  /** Lookout cannot be reached: actions would wait, so they are off. */
  offline: boolean;
  /** An action on it waits for the server's answer: no second one meanwhile. */
  busy: boolean;
  /** Why the last action on it failed, said here, where the user is. */
  error: string | null;
  menuOpen: boolean;
  onMenu(open: boolean): void;
  onSelect(): void;
  onAction(action: FeedAction): void;
}

/** Details longer than this are clamped behind "Show all". */
const LONG_DETAIL_CHARS = 240;

export function FeedItem({ session: sessionRef, selected, tabbable, showHost, offline, busy, error, menuOpen, onMenu, onSelect, onAction }: Props) {
  const session = useFragment(FeedItemFragment, sessionRef);
  const [wholeDetail, setWholeDetail] = useState(false);
  const attention = session.attention;
  if (!attention) return null;
  const { title } = session;
  const where = [AGENT_NAMES[session.agent] ?? session.agent, session.project, session.branch].filter(Boolean).join(' · ');
  const off = offline || busy;
  const long = (attention.detail?.length ?? 0) > LONG_DETAIL_CHARS || (attention.detail?.split('\n').length ?? 0) > 3;

  return (
    <li
      className={`item reason-${attention.reason.toLowerCase()}${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      aria-busy={busy || undefined}
      aria-labelledby={`title-${session.id}`}
      tabIndex={tabbable ? 0 : -1}
      data-session-id={session.id}
      onClick={onSelect}
      onFocus={onSelect}
    >
      <div className="item-main">
        <span className="label" aria-hidden="true">
          {attention.label}
        </span>
        {attention.escalated ? <span className="escalated">Still waiting</span> : null}
        <Elapsed since={attention.since} />
        <h3 className="title" id={`title-${session.id}`}>
          <span className="visually-hidden">{attention.label}: </span>
          {session.link && isOpenableLink(session.link) ? (
            <a href={session.link} target="_blank" rel="noreferrer">
              {title}
            </a>
          ) : (
            title
          )}
        </h3>
        <p className="where">
          {where}
          {showHost && session.host ? <span className="host"> on {session.host}</span> : null}
        </p>
        {attention.detail && !session.pendingPermissions.length ? (
          <>
            <p className={`detail${attention.reason === 'WAITING' ? ' code' : ''}${long && !wholeDetail ? ' clamped' : ''}`} id={`detail-${session.id}`}>
              {attention.detail}
            </p>
            {long ? (
              <button type="button" className="link" aria-expanded={wholeDetail} aria-controls={`detail-${session.id}`} onClick={() => setWholeDetail(!wholeDetail)}>
                {wholeDetail ? 'Show less' : 'Show all'}
              </button>
            ) : null}
          </>
        ) : null}
        {session.pendingPermissions.map((request) =>
          request.kind === 'QUESTION' ? (
            <AnswerQuestion key={request.id} request={request} onAnswer={onAction} offline={off} busy={busy} />
          ) : request.kind === 'ELICITATION' && request.elicitation?.fields ? (
            <AnswerElicitation key={request.id} request={request} fields={request.elicitation.fields} onAnswer={onAction} offline={off} busy={busy} />
          ) : (
            <Answer key={request.id} request={request} onAnswer={onAction} offline={off} busy={busy} />
          ),
        )}
        {error ? (
          <p className="item-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
      <div className="actions" role="group" aria-label={`Actions for ${title}`}>
        <button type="button" disabled={off} onClick={() => onAction({ kind: 'seen' })}>
          Seen
        </button>
        <SnoozeMenu open={menuOpen} onOpen={onMenu} disabled={off} onSnooze={(until) => onAction({ kind: 'snooze', until })} />
        <button type="button" disabled={off} onClick={() => onAction({ kind: 'hide' })}>
          Hide
        </button>
      </div>
    </li>
  );
}

/** How long ago, ticking exactly when its text changes; a screen reader hears it in words. */
function Elapsed({ since: iso }: { since: string }) {
  const since = new Date(iso);
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setTimeout(() => setNow(new Date()), untilElapsedChanges(since, now));
    return () => clearTimeout(timer);
  });
  return (
    <time className="since" dateTime={iso} title={since.toLocaleString()}>
      <span aria-hidden="true">{formatElapsed(since, now)}</span>
      <span className="visually-hidden">{elapsedInWords(since, now)}</span>
    </time>
  );
}

/**
 * The snooze choices, one menu open at a time (the feed says which): Escape closes it and puts the
 * focus back on Snooze; so does a click elsewhere, or the focus going elsewhere by the keyboard.
 * An open menu makes room in its card, so it closes only once a click elsewhere is over: the card
 * shrinking between the press and the release would take the click away from what it was aimed at.
 */
function SnoozeMenu({ open, onOpen, disabled, onSnooze }: { open: boolean; onOpen(open: boolean): void; disabled: boolean; onSnooze(until: Date): void }) {
  const ref = useRef<HTMLDetailsElement>(null);
  const pressing = useRef(false);
  useEffect(() => {
    if (!open) return;
    const press = () => (pressing.current = true);
    const outside = (event: MouseEvent) => {
      pressing.current = false;
      if (!ref.current?.contains(event.target as Node)) onOpen(false);
    };
    document.addEventListener('pointerdown', press, true);
    document.addEventListener('click', outside);
    return () => {
      document.removeEventListener('pointerdown', press, true);
      document.removeEventListener('click', outside);
    };
  }, [open, onOpen]);
  return (
    <details
      ref={ref}
      className="snooze"
      open={open}
      onToggle={(event) => {
        const isOpen = (event.target as HTMLDetailsElement).open;
        if (isOpen !== open) onOpen(isOpen);
      }}
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || !open) return;
        event.stopPropagation();
        onOpen(false);
        ref.current?.querySelector('summary')?.focus();
      }}
      onBlur={(event) => {
        if (open && !pressing.current && !ref.current?.contains(event.relatedTarget as Node | null)) onOpen(false);
      }}
    >
      <summary aria-disabled={disabled || undefined}>Snooze</summary>
      <div className="menu" role="group" aria-label="Snooze for">
        {SNOOZE_CHOICES.map((choice) => (
          <button
            key={choice.label}
            type="button"
            disabled={disabled}
            onClick={() => {
              onOpen(false);
              onSnooze(choice.until(new Date()));
            }}
          >
            {choice.label}
          </button>
        ))}
      </div>
    </details>
  );
}

type Pending = FeedItem_SessionFragment['pendingPermissions'][number];

/**
 * Allow once, always allow (saying which rule, and where it is kept), or deny with a message; for a
 * plan, what the agent's own dialog offers: approve and review each edit, approve and accept edits,
 * or keep planning with what to change.
 */
function Answer({ request, onAnswer, offline, busy }: { request: Pending; onAnswer(action: FeedAction): void; offline: boolean; busy: boolean }) {
  const [message, setMessage] = useState('');
  const plan = request.kind === 'PLAN';
  const answer = (decision: PermissionDecision) =>
    onAnswer({ kind: 'answer', requestId: request.id, decision, message: decision === 'DENY' && message.trim() ? message.trim() : undefined });
  return (
    <form
      className="answer"
      aria-label={plan ? 'Review the plan' : `Answer: ${request.tool}`}
      data-request-id={request.id}
      onSubmit={(event) => {
        event.preventDefault();
        answer('DENY');
      }}
    >
      <pre className="input">{request.input}</pre>
      {request.alwaysAllowRule && !plan ? <p className="rule">Always allow: {request.alwaysAllowRule}</p> : null}
      <div className="answer-buttons">
        <button type="button" className="allow" disabled={offline} onClick={() => answer('ALLOW_ONCE')} title={plan ? 'Then review each edit' : undefined}>
          {plan ? 'Approve plan' : 'Allow once'}
        </button>
        {busy ? <span className="sending">Sending your answer…</span> : null}
        {request.alwaysAllowRule ? (
          <button type="button" className="allow" disabled={offline} onClick={() => answer('ALLOW_ALWAYS')} title={request.alwaysAllowRule}>
            {plan ? 'Approve, accept edits' : 'Always allow'}
          </button>
        ) : null}
        <input
          type="text"
          name="message"
          aria-label={plan ? 'What to change in the plan' : 'Why, or what to do instead (optional)'}
          placeholder={plan ? 'What to change…' : 'Why? (optional)'}
          value={message}
          onChange={(event) => setMessage(event.target.value)}
          maxLength={2000}
        />
        <button type="submit" className="deny" disabled={offline}>
          {plan ? 'Keep planning' : 'Deny'}
        </button>
      </div>
    </form>
  );
}

/**
 * A question, as the agent's own dialog asks it: each question's options (one to pick, or several
 * to tick) with their descriptions, and words of your own ("Other"). Sent once every question has
 * an answer.
 */
function AnswerQuestion({ request, onAnswer, offline, busy }: { request: Pending; onAnswer(action: FeedAction): void; offline: boolean; busy: boolean }) {
  const [chosen, setChosen] = useState<Record<string, string[]>>({});
  const [other, setOther] = useState<Record<string, string>>({});
  const answers = request.questions.map((q) => ({
    question: q.question,
    choices: chosen[q.question] ?? [],
    ...(other[q.question]?.trim() ? { other: other[q.question]!.trim() } : {}),
  }));
  const complete = answers.every((a) => a.choices.length + (a.other ? 1 : 0) > 0);
  const pick = (question: string, label: string, several: boolean) =>
    setChosen((now) => {
      const had = now[question] ?? [];
      const next = several ? (had.includes(label) ? had.filter((l) => l !== label) : [...had, label]) : [label];
      return { ...now, [question]: next };
    });
  return (
    <form
      className="answer question"
      aria-label="Answer the question"
      data-request-id={request.id}
      onSubmit={(event) => {
        event.preventDefault();
        if (complete) onAnswer({ kind: 'answerQuestion', requestId: request.id, answers });
      }}
    >
      {request.questions.map((q) => (
        <fieldset key={q.question}>
          <legend>{q.question}</legend>
          {q.options.map((o) => (
            <label key={o.label} className="option">
              <input
                type={q.multiSelect ? 'checkbox' : 'radio'}
                name={q.question}
                checked={(chosen[q.question] ?? []).includes(o.label)}
                disabled={offline}
                onChange={() => {
                  pick(q.question, o.label, q.multiSelect);
                  if (!q.multiSelect) setOther((now) => ({ ...now, [q.question]: '' }));
                }}
              />
              <span className="label">{o.label}</span>
              {o.description ? <span className="description">{o.description}</span> : null}
            </label>
          ))}
          <input
            type="text"
            className="other"
            aria-label={`Other answer to: ${q.question}`}
            placeholder="Other…"
            value={other[q.question] ?? ''}
            maxLength={2000}
            disabled={offline}
            onChange={(event) => {
              const text = event.target.value;
              setOther((now) => ({ ...now, [q.question]: text }));
              if (!q.multiSelect && text.trim()) setChosen((now) => ({ ...now, [q.question]: [] }));
            }}
          />
        </fieldset>
      ))}
      <div className="answer-buttons">
        <button type="submit" className="allow" disabled={offline || !complete}>
          Send answer
        </button>
        {busy ? <span className="sending">Sending your answer…</span> : null}
      </div>
    </form>
  );
}

type Field = NonNullable<NonNullable<Pending['elicitation']>['fields']>[number];

/** A field's value as the form holds it: text for a text, a number or a list; yes/no for a boolean; the values ticked for CHOICES. */
type Draft = string | boolean | string[];

/** What the server suggested for a field, as the form's starting value. */
function startingValue(field: Field): Draft {
  const suggested = field.default === null || field.default === undefined ? undefined : (JSON.parse(field.default) as unknown);
  if (field.type === 'BOOLEAN') return suggested === true;
  if (field.type === 'CHOICES') return Array.isArray(suggested) ? suggested.filter((v): v is string => typeof v === 'string') : [];
  return suggested === undefined ? '' : String(suggested);
}

/** The answer's value for a field; null when it is left empty (a yes/no is always given). */
function valueOf(field: Field, draft: Draft): ElicitationValueInput | null {
  if (field.type === 'BOOLEAN') return { field: field.name, boolean: draft === true };
  if (field.type === 'CHOICES') return (draft as string[]).length ? { field: field.name, choices: draft as string[] } : null;
  const text = draft as string;
  if (!text.trim()) return null;
  if (field.type === 'NUMBER' || field.type === 'INTEGER') return { field: field.name, number: Number(text) };
  // The browser's date-time picker gives local time without a zone: sent as the instant it means.
  if (field.format === 'date-time' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return { field: field.name, text: new Date(text).toISOString() };
  return { field: field.name, text };
}

const INPUT_TYPES: Record<string, string> = { email: 'email', uri: 'url', date: 'date', 'date-time': 'datetime-local' };

/**
 * An MCP server's form, as the agent's own would show it: each field with its title and what it
 * takes; Submit sends the values (checked by the server, which says what is wrong), Decline
 * refuses, Cancel dismisses it.
 */
function AnswerElicitation({ request, fields, onAnswer, offline, busy }: { request: Pending; fields: Field[]; onAnswer(action: FeedAction): void; offline: boolean; busy: boolean }) {
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() => Object.fromEntries(fields.map((f) => [f.name, startingValue(f)])));
  const set = (name: string, draft: Draft) => setDrafts((now) => ({ ...now, [name]: draft }));
  const values = fields.map((f) => valueOf(f, drafts[f.name]!)).filter((v) => v !== null);
  const send = (action: ElicitationAction) => onAnswer({ kind: 'answerElicitation', requestId: request.id, action, values: action === 'ACCEPT' ? values : [] });
  const server = request.elicitation!.server;
  return (
    <form
      className="answer elicitation"
      aria-label={`Answer ${server}`}
      data-request-id={request.id}
      onSubmit={(event) => {
        event.preventDefault();
        send('ACCEPT');
      }}
    >
      <p className="asker">The MCP server “{server}” asks:</p>
      <p className="message">{request.elicitation!.message}</p>
      {fields.map((field) => {
        const label = `${field.title ?? field.name}${field.required ? ' (required)' : ''}`;
        const draft = drafts[field.name]!;
        const help = field.description ? <span className="description">{field.description}</span> : null;
        if (field.type === 'BOOLEAN') {
          return (
            <label key={field.name} className="option">
              <input type="checkbox" checked={draft === true} disabled={offline} onChange={(event) => set(field.name, event.target.checked)} />
              <span className="label">{label}</span>
              {help}
            </label>
          );
        }
        if (field.type === 'CHOICE' || field.type === 'CHOICES') {
          const several = field.type === 'CHOICES';
          return (
            <fieldset key={field.name}>
              <legend>{label}</legend>
              {help}
              {field.options.map((o) => (
                <label key={o.value} className="option">
                  <input
                    type={several ? 'checkbox' : 'radio'}
                    name={`${request.id}:${field.name}`}
                    checked={several ? (draft as string[]).includes(o.value) : draft === o.value}
                    disabled={offline}
                    onChange={() => set(field.name, several ? ((draft as string[]).includes(o.value) ? (draft as string[]).filter((v) => v !== o.value) : [...(draft as string[]), o.value]) : o.value)}
                  />
                  <span className="label">{o.label}</span>
                </label>
              ))}
            </fieldset>
          );
        }
        const number = field.type === 'NUMBER' || field.type === 'INTEGER';
        return (
          <label key={field.name} className="field">
            <span className="label">{label}</span>
            {help}
            <input
              type={number ? 'number' : (INPUT_TYPES[field.format ?? ''] ?? 'text')}
              value={draft as string}
              required={field.required}
              disabled={offline}
              step={field.type === 'INTEGER' ? 1 : 'any'}
              min={field.minimum ?? undefined}
              max={field.maximum ?? undefined}
              minLength={field.minLength ?? undefined}
              maxLength={field.maxLength ?? 10_000}
              onChange={(event) => set(field.name, event.target.value)}
            />
          </label>
        );
      })}
      <div className="answer-buttons">
        <button type="submit" className="allow" disabled={offline}>
          Submit
        </button>
        {busy ? <span className="sending">Sending your answer…</span> : null}
        <button type="button" className="deny" disabled={offline} onClick={() => send('DECLINE')}>
          Decline
        </button>
        <button type="button" disabled={offline} onClick={() => send('CANCEL')}>
          Cancel
        </button>
      </div>
    </form>
  );
}
