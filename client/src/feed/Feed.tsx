// The feed: what needs you now and what is worth a look, live.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { isOpenableLink } from '../../../api/links.ts';
import { graphql } from '../gql';
import { usePush } from '../push/usePush.ts';
import { NotificationSettings } from '../settings/NotificationSettings.tsx';
import type { AttentionTier } from '../gql/graphql.ts';
import { type ConnectionStore, useConnectionState } from '../graphql/connection.ts';
import { type FeedAction, FeedItem, SNOOZE_CHOICES } from './FeedItem.tsx';
import { Hidden } from './Hidden.tsx';
import { useNow } from './time.ts';
import { summarize, useDocumentBadge } from './useDocumentBadge.ts';
import { useFeedActions } from './useFeedActions.ts';
import { type FeedChange, useFeedChanges } from './useFeedChanges.ts';

export const FeedQuery = graphql(`
  query Feed($project: String) {
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
          pendingPermission { id alwaysAllowRule }
          ...FeedItem_session
        }
      }
    }
    everyProject: attentionSessions {
      edges { node { id project host } }
    }
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
  const [{ data, fetching, error }, reload] = useQuery({ query: FeedQuery, variables: { project } });
  const connectionState = useConnectionState(connection);
  const disconnected = connectionState === 'offline' || connectionState === 'reconnecting';
  // Opened while Lookout was unreachable: the feed loads as soon as it is back.
  const neverLoaded = !data && !!error;
  useEffect(() => {
    if (connectionState === 'live' && neverLoaded) reload({ requestPolicy: 'network-only' });
  }, [connectionState, neverLoaded, reload]);
  const now = useNow();
  const { perform, error: actionError, dismissError } = useFeedActions();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');

  // Items an action just took out of the feed have no attention (optimistic) until they return.
  const items = useMemo(() => (data?.feed.edges ?? []).map((e) => e.node).filter((n) => n.attention), [data]);
  const byTier = (tier: AttentionTier) => items.filter((n) => n.attention?.tier === tier);
  const needsYou = byTier('NEEDS_YOU').length;
  const inFocus = items.length - needsYou;
  const everyProject = data?.everyProject.edges.map((e) => e.node) ?? [];
  const projects = [...new Set(everyProject.map((n) => n.project).filter((p): p is string => !!p))].sort();
  const showHost = new Set(everyProject.map((n) => n.host).filter(Boolean)).size > 1;
  useDocumentBadge(needsYou, inFocus, !!data);

  const focusItem = useCallback((sessionId: string) => {
    setSelectedId(sessionId);
    document.querySelector(`[data-session-id="${CSS.escape(sessionId)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, []);
  const push = usePush();
  const onNeedsYou = useCallback((change: FeedChange) => setAnnouncement(`Needs you: ${change.session.title}, ${change.attention?.label ?? ''}`), []);
  useOpenRequests(focusItem, !!data);
  useFeedChanges({ project, loadedSeq: data?.feed.latestSeq ?? null, connection, onNeedsYou });

  const act = useCallback(
    (sessionId: string, action: FeedAction) => {
      const item = items.find((n) => n.id === sessionId);
      void perform(sessionId, item?.title ?? sessionId, action);
    },
    [items, perform],
  );

  useFeedKeyboard({
    ids: [...byTier('NEEDS_YOU'), ...byTier('IN_FOCUS')].map((n) => n.id),
    selectedId,
    select: focusItem,
    open: (id) => {
      const link = items.find((n) => n.id === id)?.link;
      if (link && isOpenableLink(link)) window.open(link, '_blank', 'noreferrer');
    },
    act,
    pending: (id) => items.find((n) => n.id === id)?.pendingPermission ?? null,
  });

  return (
    <>
      <header className="top">
        <h1>Lookout</h1>
        <p className="summary" aria-live="polite">
          {data ? summarize(needsYou, inFocus) : ''}
        </p>
        <p className={`connection ${connectionState}`} role="status">
          <span className="dot" aria-hidden="true" />
          {CONNECTION_TEXT[connectionState]}
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
          <button type="button" className="notify" onClick={push.enable}>
            Notify me on this device
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
        {actionError ? (
          <div className="banner error" role="alert">
            {actionError}{' '}
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
        {data && everyProject.length === 0 ? (
          <p className="connect">
            No agent has reported yet. Connect Claude Code (or Codex) from Lookout's folder: <code>npx lookout install claude-code --user</code>
          </p>
        ) : null}
        {data
          ? SECTIONS.map(({ tier, heading, empty }) => {
              const list = byTier(tier);
              return (
                <section key={tier} aria-labelledby={`heading-${tier}`} className={`tier tier-${tier.toLowerCase()}`}>
                  <h2 id={`heading-${tier}`}>
                    {heading} <span className="count">{list.length}</span>
                  </h2>
                  {list.length === 0 ? (
                    <p className="empty">{empty}</p>
                  ) : (
                    <ul>
                      {list.map((node) => (
                        <FeedItem
                          key={node.id}
                          session={node}
                          now={now}
                          selected={node.id === selectedId}
                          showHost={showHost}
                          offline={disconnected}
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
        <div className="visually-hidden" aria-live="polite">
          {announcement}
        </div>
        {push.state.kind === 'on' ? <p className="device">This device is notified when a session needs you.</p> : null}
        <p className="keys">
          <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>e</kbd> seen · <kbd>s</kbd> snooze {SNOOZE_CHOICES[0]!.label} · on a
          prompt: <kbd>a</kbd> allow once · <kbd>A</kbd> always allow · <kbd>d</kbd> deny
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

interface KeyboardOptions {
  ids: string[];
  selectedId: string | null;
  select(id: string): void;
  open(id: string): void;
  act(id: string, action: FeedAction): void;
  pending(id: string): { id: string; alwaysAllowRule?: string | null } | null;
}

/** j/k move, Enter opens, e marks seen, s snoozes, a/A/d answer a prompt: while no form field has the focus. */
function useFeedKeyboard(options: KeyboardOptions) {
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.metaKey || event.ctrlKey || event.altKey || target?.closest('input, select, textarea, summary, button, a')) return;
      const { ids, selectedId, select, open, act, pending } = latest.current;
      // a: allow once, A: always allow, d: write why and deny (the item's own field), on a prompt.
      const answerByKey = (key: string, id: string): boolean => {
        const request = pending(id);
        if (!request) return false;
        if (key === 'a') act(id, { kind: 'answer', requestId: request.id, decision: 'ALLOW_ONCE' });
        else if (key === 'A' && request.alwaysAllowRule) act(id, { kind: 'answer', requestId: request.id, decision: 'ALLOW_ALWAYS' });
        else if (key === 'd') document.querySelector<HTMLInputElement>(`[data-request-id="${CSS.escape(request.id)}"] input[name="message"]`)?.focus();
        else return false;
        return true;
      };
      const index = selectedId ? ids.indexOf(selectedId) : -1;
      if (event.key === 'j' || event.key === 'k') {
        const next = ids[Math.min(Math.max(index + (event.key === 'j' ? 1 : -1), 0), ids.length - 1)];
        if (next) select(next);
      } else if (selectedId && index >= 0) {
        if (event.key === 'Enter') open(selectedId);
        else if (event.key === 'e') act(selectedId, { kind: 'seen' });
        else if (event.key === 's') act(selectedId, { kind: 'snooze', until: SNOOZE_CHOICES[0]!.until(new Date()) });
        else if (!answerByKey(event.key, selectedId)) return;
      } else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
