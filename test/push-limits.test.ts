// Push devices as a hostile member would add them: against the real server, a listener on loopback
// that must never be contacted, addresses in every spelling, another person's endpoint, more
// devices than a person may have, and a slow push service while one person's devices hear 100
// changes: what the server spends stays bounded.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isPublicAddress, publicOnlyLookup, pushHosts } from '../api/notify/push-endpoints.ts';
import { MAX_DEVICES_PER_PERSON } from '../api/notify/push.ts';
import { sql, startServer, type TestServer } from './helpers.ts';
import { browserSubscription, type PushService, startPushService } from './push-service.ts';

let server: TestServer;
let service: PushService | undefined;
let listener: Server | undefined;
afterEach(async () => {
  await server?.stop();
  service?.close();
  listener?.close();
});

const ADD = `mutation($input: PushSubscriptionInput!) {
  addPushDevice(input: $input) { __typename ... on Error { message } ... on TooManyPushDevicesError { limit } }
}`;
const DEVICES = 'query { pushDevices { endpoint } }';

async function tokenFor(person: string, scope: string): Promise<Record<string, string>> {
  const { data } = await server.gql(`mutation { createToken(name: "${person}-${scope}", scope: ${scope}, person: "${person}") { ... on MutationCreateTokenSuccess { data { token } } } }`);
  return { authorization: `Bearer ${data.createToken.data.token}` };
}

/** A session of the token's person, waiting for permission: news for every one of their devices. */
async function waiting(sessionId: string, reporter: Record<string, string>): Promise<void> {
  const speak = 'mutation($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }';
  const act = 'mutation($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }';
  await server.gql(speak, { input: { sessionId, speaker: 'USER', title: sessionId, project: 'shop' } }, reporter);
  const recorded = await server.gql(act, { input: { sessionId, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: `Bash: deploy ${sessionId}` } }, reporter);
  expect(recorded.data.recordActivity.__typename).toBe('MutationRecordActivitySuccess');
}

async function metric(series: string): Promise<number> {
  const text = await (await fetch(server.url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: 'Bearer admin-token' } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function add(endpoint: string, headers?: Record<string, string>) {
  const { p256dh, auth } = browserSubscription();
  return server.gql(ADD, { input: { endpoint, p256dh, auth, label: 'device' } }, headers).then((r) => r.data?.addPushDevice ?? r.errors);
}

describe('push devices', () => {
  it('go only to a browser\'s push service: no address of a member\'s choice is stored or contacted, in any spelling', async () => {
    let contacted = 0;
    listener = createServer((socket) => {
      contacted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener!.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    // One attempt a push: what cannot be reached here (the browsers' services) ends at once.
    server = await startServer({ LOOKOUT_TOKEN: 'admin-token' }, { deliveries: { attempts: 1 } });
    const member = await tokenFor('mallory', 'ACT');
    for (const endpoint of [
      `https://127.0.0.1:${port}/push/x`,
      `https://localhost:${port}/push/x`,
      `https://[::1]:${port}/push/x`,
      `https://127.1:${port}/push/x`,
      `https://0x7f000001:${port}/push/x`,
      `https://[::ffff:127.0.0.1]:${port}/push/x`,
      'https://169.254.169.254/latest/meta-data',
      'https://metadata.google.internal/computeMetadata/v1',
      'https://[fd00:ec2::254]/latest',
      'https://fcm.googleapis.com.attacker.example/push/x',
      `https://fcm.googleapis.com:${port}/fcm/send/x`,
      'https://user:pass@fcm.googleapis.com/fcm/send/x',
    ]) {
      expect(await add(endpoint, member), endpoint).toMatchObject({ __typename: 'PushEndpointError', message: expect.stringMatching(/^The push endpoint /) });
    }
    expect((await server.gql(DEVICES, undefined, member)).data.pushDevices).toEqual([]);
    // A device stored before these rules (as an older Lookout took it) is kept but never pushed to.
    const { p256dh, auth } = browserSubscription();
    await sql(server.database, `INSERT INTO "PushDevice" ("endpoint", "person", "p256dh", "auth", "label", "createdAt")
      VALUES ('https://127.0.0.1:${port}/push/old', 'mallory', '${p256dh}', '${auth}', 'old', '2026-01-01T00:00:00.000+00:00')`);
    // A change that would push to every device of the member's reaches no address at all.
    await waiting('s', await tokenFor('mallory', 'REPORT'));
    // The browsers' own services are taken as they are (and adding one reads every device again).
    expect(await add('https://fcm.googleapis.com/fcm/send/abc:def', member)).toMatchObject({ __typename: 'MutationAddPushDeviceSuccess' });
    expect(await add('https://web.push.apple.com/QGx', member)).toMatchObject({ __typename: 'MutationAddPushDeviceSuccess' });
    await waiting('s2', await tokenFor('mallory', 'REPORT'));
    // Both browser services' pushes end (this machine reaches no outside address); the old device got none.
    await expect.poll(async () => (await metric('lookout_deliveries_waiting')) + (await metric('lookout_deliveries_in_flight'))).toBe(0);
    expect(await metric('lookout_deliveries_total{outcome="gave up"}')).toBe(2);
    expect(contacted).toBe(0);
  });

  it("need the act scope; a person has at most the limit; another person's endpoint is refused, not moved", async () => {
    server = await startServer({ LOOKOUT_TOKEN: 'admin-token' });
    const reader = await tokenFor('ana', 'READ');
    const ana = await tokenFor('ana', 'ACT');
    const bo = await tokenFor('bo', 'ACT');
    const refused = await add('https://fcm.googleapis.com/fcm/send/read-only', reader);
    expect(refused).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    for (let i = 0; i < MAX_DEVICES_PER_PERSON; i++) expect((await add(`https://fcm.googleapis.com/fcm/send/ana-${i}`, ana)).__typename).toBe('MutationAddPushDeviceSuccess');
    expect(await add('https://fcm.googleapis.com/fcm/send/ana-more', ana)).toMatchObject({ __typename: 'TooManyPushDevicesError', limit: MAX_DEVICES_PER_PERSON });
    // The same browser subscribing again replaces its device: no new one.
    expect((await add('https://fcm.googleapis.com/fcm/send/ana-0', ana)).__typename).toBe('MutationAddPushDeviceSuccess');
    expect(await add('https://fcm.googleapis.com/fcm/send/ana-0', bo)).toMatchObject({ __typename: 'PushEndpointError', message: expect.stringMatching(/another person/) });
    expect((await server.gql(DEVICES, undefined, ana)).data.pushDevices).toHaveLength(MAX_DEVICES_PER_PERSON);
    expect((await server.gql(DEVICES, undefined, bo)).data.pushDevices).toEqual([]);
  });

  it('cost the same whatever a person adds: at most a fixed number of pushes in flight, the server answering meanwhile', async () => {
    service = await startPushService();
    server = await startServer({ ...service.lookout.env, LOOKOUT_TOKEN: 'admin-token' }, { deliveries: { ...service.lookout.deliveries, concurrency: 4, timeoutMs: 60_000 } });
    const ana = await tokenFor('ana', 'ACT');
    for (let i = 0; i < MAX_DEVICES_PER_PERSON; i++) expect((await add(`${service.origin}/push/${i}`, ana)).__typename).toBe('MutationAddPushDeviceSuccess');
    const agent = await tokenFor('ana', 'REPORT');
    const held = service.hold();
    for (let i = 0; i < 100; i++) {
      await waiting(`s${i}`, agent);
    }
    await service.next(4);
    const health = await fetch(server.url.replace(/\/graphql$/, '/healthz'));
    expect(health.status).toBe(200);
    expect(held.most()).toBe(4);
    held.release();
    // What waits is sent, at most 4 at a time, and what did not fit in the queue was dropped, not kept.
    await expect.poll(async () => (await metric('lookout_deliveries_waiting')) + (await metric('lookout_deliveries_in_flight')), { timeout: 15_000 }).toBe(0);
    const delivered = await metric('lookout_deliveries_total{outcome="delivered"}');
    const dropped = await metric('lookout_deliveries_total{outcome="dropped"}');
    expect(delivered + dropped).toBe(100 * MAX_DEVICES_PER_PERSON);
    expect(delivered).toBeLessThanOrEqual(1_000 + 4);
    expect(service.received).toHaveLength(delivered);
    expect(held.most()).toBe(4);
    await expect.poll(async () => (await server.gql('query { pushDevices { lastStatus } }', undefined, ana)).data.pushDevices.map((d: any) => d.lastStatus)).toEqual(Array(MAX_DEVICES_PER_PERSON).fill('delivered'));
  }, 40_000);
});

describe('push addresses', () => {
  it.each([
    ['127.0.0.1', false], ['10.1.2.3', false], ['172.20.0.1', false], ['192.168.1.1', false], ['169.254.169.254', false], ['100.64.0.1', false],
    ['0.0.0.0', false], ['::1', false], ['::', false], ['fd00:ec2::254', false], ['fe80::1', false], ['::ffff:127.0.0.1', false], ['::ffff:7f00:1', false],
    ['64:ff9b::a00:1', false], ['142.250.74.106', true], ['2a00:1450:4001:82b::200a', true], ['17.57.144.10', true], ['not an address', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('a browser service\'s name that resolves to an internal address gets no connection: checked where the socket connects', async () => {
    const resolvingTo = (address: string) => publicOnlyLookup((_host, _options, callback) => callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]));
    const look = (lookup: ReturnType<typeof publicOnlyLookup>) =>
      new Promise<unknown>((resolve) => lookup('fcm.googleapis.com', {}, (error, address) => resolve(error ? (error as NodeJS.ErrnoException).code : address)));
    expect(await look(resolvingTo('127.0.0.1'))).toBe('EADDRNOTPUBLIC');
    expect(await look(resolvingTo('fd00::1'))).toBe('EADDRNOTPUBLIC');
    expect(await look(resolvingTo('142.250.74.106'))).toBe('142.250.74.106');
  });

  it('an operator names push services of their own, with or without a port; the browsers\' stay allowed', () => {
    const hosts = pushHosts(['push.internal.example', 'localhost:8443', '*.up.example']);
    expect(hosts.refusal('https://push.internal.example/x')).toBeNull();
    expect(hosts.refusal('https://localhost:8443/x')).toBeNull();
    expect(hosts.refusal('https://localhost:9000/x')).toMatch(/not an IP address|push service/);
    expect(hosts.refusal('https://a.up.example/x')).toBeNull();
    expect(hosts.refusal('http://push.internal.example/x')).toBe('must be https');
    expect(hosts.guarded('https://push.internal.example/x')).toBe(false);
    expect(hosts.guarded('https://fcm.googleapis.com/fcm/send/x')).toBe(true);
    expect(hosts.refusal('https://wns2-by3p.notify.windows.com/w/?token=x')).toBeNull();
    expect(hosts.refusal('https://updates.push.services.mozilla.com/wpush/v2/x')).toBeNull();
  });
});
