// Where Lookout may send a push: a device's endpoint is a URL a member hands the server, so the
// server only ever connects to the browsers' own push services (or hosts its operator names), over
// https, and for the browsers' services only to a public address, checked where the connection is
// made (after DNS), so a name that resolves to an internal address reaches nothing.
import { type LookupAddress, type LookupOptions, lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * The push services of today's browsers: Chrome, Chromium-based browsers and Android (Firebase
 * Cloud Messaging), Firefox (Mozilla autopush), Safari on macOS and iOS (Apple), Edge (Windows
 * Push Notification Services). `*.` allows any name below.
 */
export const BROWSER_PUSH_HOSTS: readonly string[] = [
  'fcm.googleapis.com',
  'android.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.push.services.mozilla.com',
  '*.push.apple.com',
  '*.notify.windows.com',
];

/** Addresses that are not the public internet: loopback, private, link-local, unique-local, shared, reserved, multicast. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is on the public internet (an IPv4-mapped IPv6 address is judged as its IPv4 one). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  if (family === 6 && /^::ffff:/i.test(address)) return false; // mapped, written in hex
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const matches = (host: string, entry: string) => (entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry);

export interface PushHosts {
  /** Whether a push may go to this endpoint: null when it may, else why not, in words. */
  refusal(endpoint: string): string | null;
  /** Whether connections to this endpoint must reach a public address (a browser's service), or go where its host resolves (a host the operator named). */
  guarded(endpoint: string): boolean;
}

/** Who a member's URL may point at: a service's own hosts, or hosts the operator named in `setting`. */
interface ServiceRule {
  known: readonly string[];
  /** "a push service", "an ntfy server". */
  service: string;
  /** Where the known hosts are said, in the refusal: "a browser's push service (…)". */
  knownAs: string;
  setting: string;
}

/**
 * The hosts of a service a member names a URL at (a push endpoint, an ntfy topic): the service's own
 * hosts, over https on its own port, reached only at public addresses; plus `operatorHosts`
 * (`name`, `name:port` or `*.domain`), the operator's own, trusted wherever they resolve.
 */
function serviceHosts(rule: ServiceRule, operatorHosts: readonly string[]): PushHosts {
  const named = (url: URL) => operatorHosts.some((entry) => (entry.includes(':') && !entry.startsWith('[') ? `${url.hostname}:${url.port || '443'}` === entry : matches(url.hostname, entry)));
  return {
    refusal(endpoint) {
      if (!URL.canParse(endpoint)) return 'is not a URL';
      const url = new URL(endpoint);
      if (url.protocol !== 'https:') return 'must be https';
      if (url.username || url.password) return 'must not carry a user name or password';
      if (named(url)) return null;
      // URL writes every form of an IP address (127.1, 0x7f000001, [::ffff:127.0.0.1]) as a plain one.
      if (isIP(url.hostname.replace(/^\[(.*)\]$/, '$1'))) return `must name ${rule.service}, not an IP address`;
      if (url.port) return `must use ${rule.service}'s own port (443)`;
      if (!rule.known.some((entry) => matches(url.hostname, entry))) return `must be at ${rule.knownAs} or a host in ${rule.setting}`;
      return null;
    },
    guarded(endpoint) {
      return !named(new URL(endpoint));
    },
  };
}

/** The browsers' push services, plus the operator's own (LOOKOUT_PUSH_HOSTS). */
export function pushHosts(operatorHosts: readonly string[] = []): PushHosts {
  return serviceHosts(
    { known: BROWSER_PUSH_HOSTS, service: 'a push service', knownAs: `a browser's push service (${BROWSER_PUSH_HOSTS.join(', ')})`, setting: 'LOOKOUT_PUSH_HOSTS' },
    operatorHosts,
  );
}

/** ntfy.sh, plus ntfy servers of the operator's own (LOOKOUT_NTFY_HOSTS). */
export function ntfyHosts(operatorHosts: readonly string[] = []): PushHosts {
  return serviceHosts({ known: ['ntfy.sh'], service: 'an ntfy server', knownAs: 'ntfy.sh', setting: 'LOOKOUT_NTFY_HOSTS' }, operatorHosts);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolve = (hostname: string, options: { all: true; family?: number }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for sockets (net.connect's option) that resolves as usual and refuses, before any
 * connection, a name with any address that is not public: what is checked is what is connected to.
 */
export function publicOnlyLookup(resolve: Resolve = dnsLookup as unknown as Resolve) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { all: true, family: typeof options.family === 'number' ? options.family : undefined }, (error, addresses) => {
      if (error) return callback(error, []);
      const internal = addresses.find((a) => !isPublicAddress(a.address));
      if (internal || addresses.length === 0) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to an address that is not public (${internal?.address ?? 'none'}): no push is sent there`);
        refused.code = 'EADDRNOTPUBLIC';
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
