// Opt-in browser notifications for sessions entering "Needs you", only while the page is not focused.
import { useCallback, useState } from 'react';
import type { FeedChange } from './useFeedChanges.ts';

const supported = typeof window !== 'undefined' && 'Notification' in window;

export function useNotifications(onOpen: (sessionId: string) => void) {
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(supported ? Notification.permission : 'unsupported');

  const enable = useCallback(async () => {
    if (supported) setPermission(await Notification.requestPermission());
  }, []);

  const notify = useCallback(
    (change: FeedChange) => {
      if (permission !== 'granted' || document.hasFocus()) return;
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
    [permission, onOpen],
  );

  return { permission, enable, notify };
}
