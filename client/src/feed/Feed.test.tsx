// The feed component on urql mock clients made of wonka sources (urql's testing guide).
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { getOperationAST } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Client, makeErrorResult, type Operation, Provider } from 'urql';
import { fromValue, makeSubject, merge, never, type Source } from 'wonka';
import type { FeedQuery as FeedData, FeedChangedSubscription } from '../gql/graphql.ts';
import { createConnectionStore } from '../graphql/connection.ts';
import { Feed } from './Feed.tsx';

afterEach(cleanup);

type Node = FeedData['feed']['edges'][number]['node'];

function session(id: string, tier: 'NEEDS_YOU' | 'IN_FOCUS', reason: string, label: string, extra: Record<string, unknown> = {}): Node {
  return {
    __typename: 'Session',
    id,
    title: `Session ${id}`,
    project: 'lookout',
    branch: 'main',
    host: 'laptop',
    link: null,
    agent: 'claude-code',
    pendingPermissions: [],
    ...extra,
    attention: { __typename: 'Attention', tier, reason, label, detail: extra.detail ?? null, escalated: extra.escalated ?? false, since: new Date(Date.now() - 12 * 60_000).toISOString() },
  } as unknown as Node;
}

function feed(nodes: Node[], latestSeq = 7): FeedData {
  return {
    __typename: 'Query',
    // Unfiltered: the feed is every project's, and is not asked for twice.
    feed: { __typename: 'QueryAttentionSessionsConnection', latestSeq, edges: nodes.map((node) => ({ __typename: 'QueryAttentionSessionsConnectionEdge', node })) },
  } as unknown as FeedData;
}

/** A client whose queries answer with `results(operation)` and whose subscription is `changes`. */
function mockClient(results: (operation: Operation) => Source<unknown>, changes: Source<unknown> = never): Client {
  // The empty feed's and the refused hooks' own queries: sessions are working, no hook is refused.
  const side: Record<string, unknown> = {
    Quiet: { working: { edges: [{ node: { id: 'w1' } }, { node: { id: 'w2' } }] }, anyone: { edges: [{ node: { id: 'w1' } }] } },
    RefusedHooks: { refusedHooks: [] },
  };
  const nameOf = (operation: Operation) => getOperationAST(operation.query)?.name?.value ?? '';
  return {
    executeQuery: vi.fn((operation: Operation) => (nameOf(operation) in side ? fromValue({ data: side[nameOf(operation)] }) : results(operation))),
    executeMutation: vi.fn(() => never),
    executeSubscription: vi.fn(() => changes),
  } as unknown as Client;
}

function renderFeed(client: Client) {
  return render(
    <Provider value={client}>
      <Feed connection={createConnectionStore('live')} />
    </Provider>,
  );
}

describe('Feed', () => {
  it('says it is loading while the feed is on its way', () => {
    renderFeed(mockClient(() => never));
    expect(screen.getByText('Loading the feed…')).toBeTruthy();
  });

  it('says all is clear when nothing needs you', () => {
    renderFeed(mockClient(() => fromValue({ data: feed([]) })));
    expect(screen.getByText('All clear')).toBeTruthy();
    expect(screen.getByText('Nothing is waiting for you.')).toBeTruthy();
    expect(screen.getByText('Nothing just finished or went quiet.')).toBeTruthy();
    // Sessions work while nothing needs you: said as such, not as if no agent had reported.
    expect(screen.getByText('All quiet: 2 sessions working, none needs you.')).toBeTruthy();
    expect(screen.queryByText(/No agent has reported yet/)).toBeNull();
    expect(document.title).toBe('Lookout · All clear');
  });

  it('shows each tier in its section, with reason, detail and a relative time', () => {
    renderFeed(
      mockClient(() =>
        fromValue({
          data: feed([
            session('a', 'NEEDS_YOU', 'WAITING', 'Waiting for permission', { detail: 'Bash: rm -rf dist' }),
            session('b', 'NEEDS_YOU', 'AWAITING_REPLY', 'Awaiting your reply'),
            session('c', 'IN_FOCUS', 'DONE', 'Done'),
          ]),
        }),
      ),
    );
    const needsYou = within(screen.getByRole('region', { name: /Needs you/ }));
    const inFocus = within(screen.getByRole('region', { name: /In focus/ }));
    // The reason is part of each item's heading.
    expect(needsYou.getAllByRole('listitem').map((li) => li.querySelector('h3')?.textContent)).toEqual(['Waiting for permission: Session a', 'Awaiting your reply: Session b']);
    expect(needsYou.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toContain('Awaiting your reply: Session b');
    expect(needsYou.getAllByText('12 minutes ago')).toHaveLength(2);
    expect(needsYou.getByText('Bash: rm -rf dist')).toBeTruthy();
    expect(needsYou.getAllByText('12m')).toHaveLength(2);
    expect(inFocus.getAllByRole('listitem')).toHaveLength(1);
    expect(screen.getByText('2 need you · 1 in focus')).toBeTruthy();
    expect(document.title).toBe('(2) Lookout · 2 need you · 1 in focus');
  });

  it('links and opens only web, editor and terminal links, never javascript:, data: or file:', () => {
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    // What jsdom lacks for keyboard selection.
    vi.stubGlobal('CSS', { escape: (text: string) => text });
    Element.prototype.scrollIntoView = () => {};
    renderFeed(
      mockClient(() =>
        fromValue({
          data: feed([
            session('bad', 'NEEDS_YOU', 'WAITING', 'Waiting for permission', { link: 'javascript:alert(document.domain)' }),
            session('data', 'NEEDS_YOU', 'WAITING', 'Waiting for permission', { link: 'data:text/html,<script>alert(1)</script>' }),
            session('good', 'NEEDS_YOU', 'WAITING', 'Waiting for permission', { link: 'vscode://file/home/dev/app' }),
          ]),
        }),
      ),
    );
    const links = screen.getAllByRole('link').map((a) => a.getAttribute('href'));
    expect(links).toEqual(['vscode://file/home/dev/app']);
    // Keys go where the focus is: j moves it to the next item, Enter opens that item's link.
    const press = (key: string) => act(() => void (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true })));
    for (let i = 0; i < 3; i++) {
      press('j');
      press('Enter');
    }
    expect(open.mock.calls).toEqual([['vscode://file/home/dev/app', '_blank', 'noreferrer']]);
    open.mockRestore();
    vi.unstubAllGlobals();
  });

  it('a long feed renders a first chunk at once, "Needs you" first, and every item over the next tasks; the counts say all from the start', async () => {
    const waiting = Array.from({ length: 30 }, (_, i) => session(`n${i}`, 'NEEDS_YOU', 'WAITING', 'Waiting for permission'));
    const replied = Array.from({ length: 90 }, (_, i) => session(`f${i}`, 'IN_FOCUS', 'AWAITING_REPLY', 'Replied'));
    renderFeed(mockClient(() => fromValue({ data: feed([...replied, ...waiting]) })));
    const shown = () => document.querySelectorAll('[data-session-id]').length;
    expect(shown()).toBe(25);
    expect([...document.querySelectorAll('[data-session-id]')].every((item) => item.getAttribute('data-session-id')!.startsWith('n'))).toBe(true);
    expect(screen.getByRole('heading', { name: /Needs you/ }).textContent).toContain('30');
    // A state to wait for, not a time: as long as a loaded machine takes (jsdom renders each chunk slowly).
    await vi.waitFor(() => expect(shown()).toBe(120), { timeout: 15_000, interval: 20 });
  });

  it('says plainly when the feed cannot be loaded', async () => {
    // A client's result stream stays open; one that completes would end the error state.
    renderFeed(mockClient((operation) => merge([fromValue(makeErrorResult(operation, new Error('Failed to fetch'))), never])));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load the feed: \[Network\] Failed to fetch/);
  });

  it('follows live changes and announces a session that starts needing you', () => {
    const queries = makeSubject<{ data: FeedData }>();
    const changes = makeSubject<{ data: FeedChangedSubscription }>();
    const client = mockClient(() => queries.source, changes.source);
    renderFeed(client);
    act(() => queries.next({ data: feed([session('a', 'IN_FOCUS', 'DONE', 'Done')], 3) }));
    expect(vi.mocked(client.executeSubscription).mock.calls[0]![0].variables).toEqual({ after: 3, project: null });

    const entered = session('b', 'NEEDS_YOU', 'WAITING', 'Has a question', { title: 'Pick a table' });
    act(() =>
      changes.next({
        data: {
          __typename: 'Subscription',
          attentionChanged: { __typename: 'AttentionChange', seq: 4, session: entered, attention: entered.attention, previous: null },
        } as unknown as FeedChangedSubscription,
      }),
    );
    expect(screen.getByText('Needs you: Pick a table, Has a question')).toBeTruthy();
    // The cache refetches the feed after a change; the new answer shows at once.
    act(() => queries.next({ data: feed([entered, session('a', 'IN_FOCUS', 'DONE', 'Done')], 4) }));
    expect(within(screen.getByRole('region', { name: /Needs you/ })).getByText('Pick a table')).toBeTruthy();
  });

  it('keeps "since" ticking without refetching', () => {
    vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00Z') });
    try {
      const client = mockClient(() => fromValue({ data: feed([session('a', 'NEEDS_YOU', 'WAITING', 'Blocked')]) }));
      renderFeed(client);
      expect(screen.getByText('12m')).toBeTruthy();
      // Each item's time changes when its text does: once a minute at this age.
      for (let minute = 0; minute < 5; minute++) act(() => vi.advanceTimersByTime(60_000));
      expect(screen.getByText('17m')).toBeTruthy();
      expect(screen.getByText('17 minutes ago')).toBeTruthy();
      const feedQueries = vi.mocked(client.executeQuery).mock.calls.filter(([operation]) => getOperationAST(operation.query)?.name?.value === 'Feed');
      expect(feedQueries).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
