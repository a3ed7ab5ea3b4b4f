// "Notify me on this device": Web Push through the page's service worker. The server pushes as
// the person's notification policy says, to every device they turned it on for, except one whose
// page is in front of them: the page tells the server while it is visible and focused.
import { useCallback, useEffect, useState } from 'react';
import { useClient, useMutation } from 'urql';
import { graphql } from '../gql';

const PushSetup = graphql(`
  query PushSetup {
    pushPublicKey
    pushDevices { endpoint }
  }
`);

const AddDevice = graphql(`
  mutation AddPushDevice($input: PushSubscriptionInput!) {
    addPushDevice(input: $input) {
      __typename
      ... on Error { message }
    }
  }
`);

const RemoveDevice = graphql(`
  mutation RemovePushDevice($endpoint: String!) {
    removePushDevice(endpoint: $endpoint) { __typename }
  }
`);

const SetLooking = graphql(`
  mutation SetDeviceLooking($endpoint: String!, $looking: Boolean!) {
    setDeviceLooking(endpoint: $endpoint, looking: $looking) { __typename }
  }
`);

/** Renewed this often while the page is in front of its user; the server forgets it after 90 s. */
const LOOKING_RENEW_MS = 60_000;

export type PushState =
  | { kind: 'unsupported' }
  | { kind: 'checking' }
  | { kind: 'off' }
  | { kind: 'on'; endpoint: string }
  | { kind: 'blocked' }
  | { kind: 'failed'; message: string };

const supported = () => typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** What the device is called on the page: the browser and the system, from its user agent. */
export function deviceLabel(userAgent: string): string {
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'Browser';
  const system = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Mac OS X/.test(userAgent) ? 'macOS' : /Windows/.test(userAgent) ? 'Windows' : /Linux/.test(userAgent) ? 'Linux' : 'this device';
  return `${browser} on ${system}`;
}

const base64url = (buffer: ArrayBuffer | null) =>
  buffer ? btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : '';

const keyBytes = (key: string) => Uint8Array.from(atob(key.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** Whether a subscription was made with this server's key (another Lookout, or a new key pair, needs a new one). */
function madeWith(subscription: PushSubscription, key: string): boolean {
  const own = subscription.options.applicationServerKey;
  return !!own && base64url(own) === key;
}

export function usePush() {
  const client = useClient();
  const [state, setState] = useState<PushState>(() => (supported() ? { kind: 'checking' } : { kind: 'unsupported' }));
  const [, addDevice] = useMutation(AddDevice);
  const [, removeDevice] = useMutation(RemoveDevice);
  const [, setLooking] = useMutation(SetLooking);

  // Is this browser already a device of ours?
  useEffect(() => {
    if (!supported()) return;
    let cancelled = false;
    void (async () => {
      const registration = await navigator.serviceWorker.ready;
      const [subscription, setup] = await Promise.all([
        registration.pushManager.getSubscription(),
        client.query(PushSetup, {}, { requestPolicy: 'network-only' }).toPromise(),
      ]);
      if (cancelled) return;
      const known = setup.data?.pushDevices.some((d) => d.endpoint === subscription?.endpoint);
      const on = subscription && known && setup.data && madeWith(subscription, setup.data.pushPublicKey);
      // Blocked notifications are said when the user asks for them, not on every visit.
      setState(on ? { kind: 'on', endpoint: subscription.endpoint } : { kind: 'off' });
    })();
    return () => {
      cancelled = true;
    };
  }, [client]);

  const enable = useCallback(async () => {
    try {
      if ((await Notification.requestPermission()) !== 'granted') return setState({ kind: 'blocked' });
      const setup = await client.query(PushSetup, {}, { requestPolicy: 'network-only' }).toPromise();
      if (!setup.data) throw new Error(setup.error?.message ?? 'Lookout did not answer.');
      const registration = await navigator.serviceWorker.ready;
      const old = await registration.pushManager.getSubscription();
      if (old && !madeWith(old, setup.data.pushPublicKey)) await old.unsubscribe();
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(setup.data.pushPublicKey) });
      const result = await addDevice({
        input: {
          endpoint: subscription.endpoint,
          p256dh: base64url(subscription.getKey('p256dh')),
          auth: base64url(subscription.getKey('auth')),
          label: deviceLabel(navigator.userAgent),
        },
      });
      const answer = result.data?.addPushDevice;
      if (!answer || answer.__typename !== 'MutationAddPushDeviceSuccess') throw new Error(answer && 'message' in answer ? answer.message : (result.error?.message ?? 'Lookout refused it.'));
      setState({ kind: 'on', endpoint: subscription.endpoint });
    } catch (error) {
      setState({ kind: 'failed', message: `This browser could not turn on notifications: ${(error as Error).message}` });
    }
  }, [client, addDevice]);

  /** Stops notifying a device of the person's; this one also drops its browser subscription. */
  const remove = useCallback(
    async (endpoint: string) => {
      await removeDevice({ endpoint });
      if (state.kind !== 'on' || state.endpoint !== endpoint) return;
      const subscription = await (await navigator.serviceWorker.ready).pushManager.getSubscription();
      await subscription?.unsubscribe();
      setState({ kind: 'off' });
    },
    [state, removeDevice],
  );

  // While on: tell the server whether this page is in front of its user, and keep saying so.
  const endpoint = state.kind === 'on' ? state.endpoint : null;
  useEffect(() => {
    if (!endpoint) return;
    const looking = () => document.visibilityState === 'visible' && document.hasFocus();
    const tell = () => void setLooking({ endpoint, looking: looking() });
    const leave = () => void setLooking({ endpoint, looking: false });
    tell();
    window.addEventListener('focus', tell);
    window.addEventListener('blur', tell);
    document.addEventListener('visibilitychange', tell);
    window.addEventListener('pagehide', leave);
    const renew = setInterval(() => looking() && tell(), LOOKING_RENEW_MS);
    return () => {
      window.removeEventListener('focus', tell);
      window.removeEventListener('blur', tell);
      document.removeEventListener('visibilitychange', tell);
      window.removeEventListener('pagehide', leave);
      clearInterval(renew);
    };
  }, [endpoint, setLooking]);

  return { state, enable, remove };
}
