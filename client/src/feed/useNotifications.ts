// Opt-in browser notifications for sessions entering "Needs you" (or escalated), only while the page
// is not focused, and as the person's notification policy says: the same policy every channel follows.
import { useCallback, useState } from 'react';
import { useQuery } from 'urql';
import { DEFAULT_POLICY, type NotificationPolicy, shouldNotify } from '../../../api/notify/policy.ts';
import { graphql } from '../gql';
import type { FeedChange } from './useFeedChanges.ts';

const PolicyQuery = graphql(`
  query NotificationPolicy {
    notificationPolicy { mode mutedProjects quietFrom quietUntil timeZone }
  }
`);

const supported = typeof window !== 'undefined' && 'Notification' in window;

export function useNotifications(onOpen: (sessionId: string) => void) {
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(supported ? Notification.permission : 'unsupported');
  const [{ data }] = useQuery({ query: PolicyQuery });
  const stored = data?.notificationPolicy;
  const policy: NotificationPolicy = stored ? { ...stored, mode: stored.mode.toLowerCase() as NotificationPolicy['mode'] } : DEFAULT_POLICY;

  const enable = useCallback(async () => {
    if (supported) setPermission(await Notification.requestPermission());
  }, []);

  const notify = useCallback(
    (change: FeedChange) => {
      if (permission !== 'granted' || document.hasFocus() || !change.attention) return;
      const news = change.attention.escalated ? 'escalated' : 'needs_you';
      const attention = { ...change.attention, label: change.attention.label, detail: change.attention.detail ?? null, since: new Date(), escalatedAt: null };
      if (!shouldNotify(policy, news, attention as Parameters<typeof shouldNotify>[2], change.session.project ?? null, new Date())) return;
      const title = change.session.title;
      const label = `${change.attention?.escalated ? 'Still waiting · ' : ''}${change.attention?.label ?? ''}`;
      const notification = new Notification(title, {
        body: change.attention?.detail ? `${label}: ${change.attention.detail}` : label,
        tag: change.session.id,
      });
      notification.onclick = () => {
        window.focus();
        onOpen(change.session.id);
        notification.close();
      };
    },
    [permission, onOpen, policy],
  );

  return { permission, enable, notify };
}
