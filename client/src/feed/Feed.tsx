// The feed: what needs you now and what is worth a look, live.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { isOpenableLink } from '../../../shared/links.ts';
import { graphql } from '../gql';
import { usePush } from '../push/usePush.ts';
import { Insights } from '../insights/Insights.tsx';
import { NotificationSettings } from '../settings/NotificationSettings.tsx';
import type { AttentionTier } from '../gql/graphql.ts';
import { type ConnectionStore, useConnectionState } from '../graphql/connection.ts';
import { type FeedAction, FeedItem, SNOOZE_CHOICES } from './FeedItem.tsx';
import { EmptyFeed } from './EmptyFeed.tsx';
import { Hidden } from './Hidden.tsx';
import { RefusedHooks } from './RefusedHooks.tsx';
import { summarize, useDocumentBadge } from './useDocumentBadge.ts';
import { useFeedActions } from './useFeedActions.ts';
import { type FeedChange, useFeedChanges } from './useFeedChanges.ts';

export const FeedQuery = graphql(`
  query Feed($project: String, $filtered: Boolean!) {
    feed: attentionSessions(project: $project) {
      latestSeq
      edges {
        node {
          id
          title
          project
          host
          link
          attention { tier }
          pendingPermissions { id kind alwaysAllowRule }
          ...FeedItem_session
        }
      }
    }
    # Unfiltered, the feed itself is every project's: not asked (and stored) twice.
    everyProject: attentionSessions @include(if: $filtered) {
      edges { node { id project host } }
    }
    projects
  }
`);

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: retrying',
  unauthorized: 'Token refused',
} as const;

const SECTIONS: { tier: AttentionTier; heading: string; empty: string }[] = [
  { tier: 'NEEDS_YOU', heading: 'Needs you', empty: 'Nothing is waiting for you.' },
  { tier: 'IN_FOCUS', heading: 'In focus', empty: 'Nothing just finished or went quiet.' },
];

export function Feed({ connection }: { connection: ConnectionStore }) {
  const [project, setProject] = useState<string | null>(null);
  const [{ data, fetching, error }, reload] = useQuery({ query: FeedQuery, variables: { project, filtered: project !== null } });
  const connectionState = useConnectionState(connection);
  const disconnected = connectionState === 'offline' || connectionState === 'reconnecting';
  // Opened while Lookout was unreachable: the feed loads as soon as it is back.
  const neverLoaded = !data && !!error;
  useEffect(() => {
    if (connectionState === 'live' && neverLoaded) reload({ requestPolicy: 'network-only' });
  }, [connectionState, neverLoaded, reload]);
  const { perform, busy, error: actionError, dismissError } = useFeedActions();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const [shortcuts, setShortcuts] = useShortcutsSetting();
  const [announcement, setAnnouncement] = useState('');
  // One polite live region; the same words twice are still said twice.
  const announce = useCallback((text: string) => setAnnouncement((said) => (said === text ? `${text}\u00a0` : text)), []);

  // Items an action just took out of the feed have no attention (optimistic) until they return.
  const items = useMemo(() => (data?.feed.edges ?? []).map((e) => e.node).filter((n) => n.attention), [data]);
  const byTier = (tier: AttentionTier) => items.filter((n) => n.attention?.tier === tier);
  const needsYou = byTier('NEEDS_YOU').length;
  const inFocus = items.length - needsYou;
  const everyProject = (data?.everyProject ?? data?.feed)?.edges.map((e) => e.node) ?? [];
  // Every project of yours, quiet ones too (to filter and mute), and any new since the page loaded.
  const projects = [...new Set([...(data?.projects ?? []), ...everyProject.map((n) => n.project).filter((p): p is string => !!p)])].sort();
  const showHost = new Set(everyProject.map((n) => n.host).filter(Boolean)).size > 1;
  useDocumentBadge(needsYou, inFocus, !!data);

  const ids = useMemo(() => [...items.filter((n) => n.attention?.tier === 'NEEDS_YOU'), ...items.filter((n) => n.attention?.tier !== 'NEEDS_YOU')].map((n) => n.id), [items]);
  const rendered = useRenderedCount(ids.length);
  /** The items of a tier that are rendered yet: "Needs you" first, then the rest, in the order of `ids`. */
  const renderedOf = (tier: AttentionTier) => byTier(tier).slice(0, Math.max(0, tier === 'NEEDS_YOU' ? rendered : rendered - needsYou));
  /** Selects an item and moves the focus to it (the roving tab stop). */
  const focusItem = useCallback((sessionId: string) => {
    setSelectedId(sessionId);
    const element = document.querySelector<HTMLElement>(`[data-session-id="${CSS.escape(sessionId)}"]`);
    element?.focus({ preventScroll: true });
    element?.scrollIntoView({ block: 'nearest' });
  }, []);
  useFocusKeptInFeed(ids, selectedId, focusItem);
  const push = usePush();
  const enablePush = useCallback(async () => {
    await push.enable();
    // The button is gone: the focus goes to the feed, not to the page's start.
    document.getElementById('heading-NEEDS_YOU')?.focus();
  }, [push]);
  const onNeedsYou = useCallback(
    (change: FeedChange) => {
      if (!project || change.session.project === project) announce(`Needs you: ${change.session.title}, ${change.attention?.label ?? ''}`);
    },
    [announce, project],
  );
  useOpenRequests(focusItem, !!data);
  useFeedChanges({ loadedSeq: data?.feed.latestSeq ?? null, connection, onNeedsYou });

  const act = useCallback(
    (sessionId: string, action: FeedAction) => {
      const item = items.find((n) => n.id === sessionId);
      void perform(sessionId, item?.title ?? sessionId, action);
    },
    [items, perform],
  );

  useFeedKeyboard({
    ids,
    shortcuts,
    selectedId,
    select: focusItem,
    open: (id) => {
      const link = items.find((n) => n.id === id)?.link;
      if (link && isOpenableLink(link)) window.open(link, '_blank', 'noreferrer');
    },
    act,
    // The keys answer the oldest open prompt.
    pending: (id) => items.find((n) => n.id === id)?.pendingPermissions[0] ?? null,
  });

  return (
    <>
      <header className="top">
        <h1>Lookout</h1>
        <p className="summary">{data ? summarize(needsYou, inFocus) : ''}</p>
        <p className={`connection ${connectionState}`} role="status">
          <span className="dot" aria-hidden="true" />
          <span className="text">{CONNECTION_TEXT[connectionState]}</span>
        </p>
        <label className="filter">
          <span>Project</span>
          <select value={project ?? ''} onChange={(e) => setProject(e.target.value || null)}>
            <option value="">All projects</option>
            {projects.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {push.state.kind === 'off' && connectionState === 'live' ? (
          <button type="button" className="notify" onClick={enablePush}>
            Notify me<span className="wide"> on this device</span>
          </button>
        ) : null}
      </header>
      <main className={disconnected ? 'disconnected' : undefined} aria-busy={connectionState === 'connecting'}>
        {data && disconnected ? (
          <div className="banner offline">
            Offline: what you see may be out of date, and actions wait until Lookout is back.
          </div>
        ) : null}
        {push.state.kind === 'failed' || push.state.kind === 'blocked' ? (
          <div className="banner error" role="alert">
            {push.state.kind === 'failed' ? push.state.message : 'Notifications are blocked for this page: allow them in the browser\'s site settings to be notified here.'}
          </div>
        ) : null}
        {actionError && !ids.includes(actionError.sessionId) ? (
          <div className="banner error" role="alert">
            {actionError.message}{' '}
            <button type="button" onClick={dismissError}>
              Dismiss
            </button>
          </div>
        ) : null}
        {error && !data ? (
          <div className="banner error" role="alert">
            {disconnected || !navigator.onLine ? 'Lookout is offline: this device cannot reach it. The feed loads when it can.' : `Could not load the feed: ${error.message}`}
          </div>
        ) : null}
        {fetching && !data ? <p className="loading">Loading the feed…</p> : null}
        {data ? <RefusedHooks /> : null}
        {data && everyProject.length === 0 ? <EmptyFeed seq={data.feed.latestSeq} /> : null}
        {data
          ? SECTIONS.map(({ tier, heading, empty }) => {
              const list = byTier(tier);
              return (
                <section key={tier} aria-labelledby={`heading-${tier}`} className={`tier tier-${tier.toLowerCase()}`}>
                  <h2 id={`heading-${tier}`} tabIndex={-1}>
                    {heading} <span className="count">{list.length}</span>
                  </h2>
                  {list.length === 0 ? (
                    <p className="empty">{empty}</p>
                  ) : (
                    <ul>
                      {renderedOf(tier).map((node) => (
                        <FeedItem
                          key={node.id}
                          session={node}
                          selected={node.id === selectedId}
                          tabbable={node.id === (selectedId && ids.includes(selectedId) ? selectedId : ids[0])}
                          showHost={showHost}
                          offline={disconnected}
                          busy={busy.has(node.id)}
                          error={actionError?.sessionId === node.id ? actionError.message : null}
                          menuOpen={menuFor === node.id}
                          onMenu={(open) => setMenuFor(open ? node.id : null)}
                          onSelect={() => setSelectedId(node.id)}
                          onAction={(action) => act(node.id, action)}
                        />
                      ))}
                    </ul>
                  )}
                </section>
              );
            })
          : null}
        {data ? <Hidden offline={disconnected} /> : null}
        {data ? <NotificationSettings projects={projects} push={push} offline={disconnected} /> : null}
        {data ? <Insights /> : null}
        <div className="visually-hidden" aria-live="polite">
          {announcement}
        </div>
        {push.state.kind === 'on' ? <p className="device">This device is notified when a session needs you.</p> : null}
        <p className="keys">
          <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>Enter</kbd> open
          {shortcuts ? (
            <>
              {' '}
              · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>e</kbd> seen · <kbd>s</kbd> snooze {SNOOZE_CHOICES[0]!.label} · on a prompt: <kbd>a</kbd> allow once · <kbd>A</kbd>{' '}
              always allow · <kbd>d</kbd> deny
            </>
          ) : null}{' '}
          <label>
            <input type="checkbox" checked={shortcuts} onChange={(e) => setShortcuts(e.target.checked)} /> Single-key shortcuts
          </label>
        </p>
      </main>
    </>
  );
}

/**
 * Opens the feed at an item when asked: by a notification's click (the service worker's message)
 * or by the address (`?session=ID`, how a notification opens a new window), once the feed is loaded.
 */
function useOpenRequests(open: (sessionId: string) => void, loaded: boolean) {
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const onMessage = (event: MessageEvent<{ type?: string; sessionId?: string }>) => {
      if (event.data?.type === 'open-session' && event.data.sessionId) open(event.data.sessionId);
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => navigator.serviceWorker.removeEventListener('message', onMessage);
  }, [open]);
  useEffect(() => {
    const url = new URL(window.location.href);
    const sessionId = url.searchParams.get('session');
    if (!loaded || !sessionId) return;
    open(sessionId);
    url.searchParams.delete('session');
    history.replaceState(null, '', url);
  }, [open, loaded]);
}

const SHORTCUTS_KEY = 'lookout.shortcuts';

/** Single-key shortcuts, on unless the user turned them off (WCAG 2.1.4); remembered in this browser. */
function useShortcutsSetting(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => localStorage.getItem(SHORTCUTS_KEY) !== 'off');
  return [
    on,
    (next) => {
      localStorage.setItem(SHORTCUTS_KEY, next ? 'on' : 'off');
      setOn(next);
    },
  ];
}

/**
 * When the selected item leaves the feed (the user's action, or another client's), the next one in
 * its place is selected, and focused if the focus was in the feed: never lost to the page's start.
 * With none left, the focus goes to the section's heading.
 */
function useFocusKeptInFeed(ids: string[], selectedId: string | null, focusItem: (id: string) => void) {
  const previous = useRef(ids);
  useEffect(() => {
    const before = previous.current;
    previous.current = ids;
    if (!selectedId || ids.includes(selectedId) || !before.includes(selectedId)) return;
    const active = document.activeElement;
    const focusWasHere = !active || active === document.body || !!active.closest('main') || !active.isConnected;
    const next = before.slice(before.indexOf(selectedId) + 1).find((id) => ids.includes(id)) ?? ids[ids.length - 1];
    if (next) {
      if (focusWasHere) focusItem(next);
    } else if (focusWasHere) {
      document.getElementById('heading-NEEDS_YOU')?.focus();
    }
  }, [ids, selectedId, focusItem]);
}

interface KeyboardOptions {
  ids: string[];
  shortcuts: boolean;
  selectedId: string | null;
  select(id: string): void;
  open(id: string): void;
  act(id: string, action: FeedAction): void;
  pending(id: string): { id: string; kind: string; alwaysAllowRule?: string | null } | null;
}

/**
 * ↓/↑ (on an item) and j/k move the focus between items, Enter (on an item) opens its link; e marks
 * seen, s snoozes, a/A/d answer a prompt, on the item that has the focus or is selected. Single-key
 * shortcuts work from anywhere in an item but never while typing, and can be turned off.
 */
function useFeedKeyboard(options: KeyboardOptions) {
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.metaKey || event.ctrlKey || event.altKey || target?.closest('input, select, textarea, [contenteditable]')) return;
      const { ids, shortcuts, selectedId, select, open, act, pending } = latest.current;
      const onItem = !!target?.matches('[data-session-id]');
      const inItem = target?.closest<HTMLElement>('[data-session-id]')?.dataset.sessionId;
      const current = inItem ?? selectedId;
      const index = current ? ids.indexOf(current) : -1;
      const move = (by: number) => {
        const next = ids[Math.min(Math.max(index + by, 0), ids.length - 1)];
        if (next) select(next);
      };
      // a: allow once, A: always allow, d: write why and deny (the item's own field), on a prompt (a question or a form is answered by its own fields).
      const answerByKey = (key: string, id: string): boolean => {
        const request = pending(id);
        if (!request || request.kind === 'QUESTION' || request.kind === 'ELICITATION') return false;
        if (key === 'a') act(id, { kind: 'answer', requestId: request.id, decision: 'ALLOW_ONCE' });
        else if (key === 'A' && request.alwaysAllowRule) act(id, { kind: 'answer', requestId: request.id, decision: 'ALLOW_ALWAYS' });
        else if (key === 'd') document.querySelector<HTMLInputElement>(`[data-request-id="${CSS.escape(request.id)}"] input[name="message"]`)?.focus();
        else return false;
        return true;
      };
      if (onItem && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) move(event.key === 'ArrowDown' ? 1 : -1);
      else if (onItem && event.key === 'Enter' && current) open(current);
      else if (!shortcuts || target?.closest('summary, details[open]')) return;
      else if (event.key === 'j' || event.key === 'k') move(event.key === 'j' ? 1 : -1);
      else if (current && index >= 0) {
        if (event.key === 'e') act(current, { kind: 'seen' });
        else if (event.key === 's') act(current, { kind: 'snooze', until: SNOOZE_CHOICES[0]!.until(new Date()) });
        else if (!answerByKey(event.key, current)) return;
      } else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** Items rendered in the first task of a load, and in each one after it. */
const RENDER_CHUNK = 25;

/**
 * How many items to render: on the first load a chunk at once and the rest a chunk per task, so that
 * a long feed never holds the page for long (a click or a key is answered between chunks); once all
 * are in, every item always is.
 */
function useRenderedCount(total: number): number {
  const [count, setCount] = useState(RENDER_CHUNK);
  const complete = count >= total;
  const [filled, setFilled] = useState(false);
  useEffect(() => {
    if (filled) return;
    if (complete) return setFilled(total > 0);
    const next = setTimeout(() => setCount((c) => c + RENDER_CHUNK), 0);
    return () => clearTimeout(next);
  }, [complete, filled, total, count]);
  return filled ? total : Math.min(count, total);
}
