// 13. One person at the most devices a person may have while 100 changes happen: the server's CPU
// per change and its /healthz p99 meanwhile, against the same Lookout with no device, side by side
// in each round. The devices are at a push service on loopback (https, its own certificate,
// answering each push after 20 ms), named in LOOKOUT_PUSH_HOSTS.
import { execFile } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MAX_DEVICES_PER_PERSON } from '../../api/notify/push.ts';
import { type Child, now, startChild } from '../children.ts';
import { graphql, metric } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { percentile } from '../stats.ts';

const CHANGES = 100;
const ANSWER_AFTER_MS = 20;

/** A browser subscription's keys, as a browser makes them. */
function subscriptionKeys(): { p256dh: string; auth: string } {
  const ecdh = createECDH('prime256v1');
  return { p256dh: ecdh.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}

async function pushService(): Promise<{ origin: string; certFile: string; close(): void }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-bench-push-'));
  const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', '-keyout', keyFile, '-out', certFile,
  ]);
  const server = createServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(201).end(), ANSWER_AFTER_MS));
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  return {
    origin: `https://localhost:${(server.address() as { port: number }).port}`,
    certFile,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** CPU ms per change and /healthz p99 (ms, probed one at a time) while 100 changes are made and every push they cause is sent. */
async function changes(server: Child, round: number): Promise<{ cpuPerChange: number; healthP99: number }> {
  const url = server.ready.url as string;
  const cpuBefore = await server.request<number>('cpu');
  let probing = true;
  const probes: number[] = [];
  const probe = (async () => {
    while (probing) {
      const started = now();
      const res = await fetch(url.replace(/\/graphql$/, '/healthz'));
      await res.arrayBuffer();
      probes.push(now() - started);
    }
  })();
  for (let i = 0; i < CHANGES; i++) {
    const sessionId = `push-${round}-${i}`;
    await graphql(url, 'mutation($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }', { input: { sessionId, speaker: 'USER', project: 'bench' } });
    await graphql(url, 'mutation($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }', {
      input: { sessionId, state: 'WAITING', waitReason: 'PERMISSION', waitDetail: `Bash: deploy ${i}` },
    });
  }
  // Until every push is sent (or dropped: the queue is bounded).
  while ((await metric(url, 'lookout_deliveries_waiting')) + (await metric(url, 'lookout_deliveries_in_flight')) > 0) await new Promise((r) => setTimeout(r, 20));
  probing = false;
  await probe;
  const cpu = (await server.request<number>('cpu')) - cpuBefore;
  return { cpuPerChange: cpu / CHANGES, healthP99: percentile(probes, 99) };
}

export async function measurePushLoad(withDevices: string, withoutDevices: string, settings: Settings): Promise<Row[]> {
  const service = await pushService();
  const env = { LOOKOUT_PUSH_HOSTS: 'localhost', NODE_EXTRA_CA_CERTS: service.certFile };
  const servers = { devices: await startChild('lookout-child.ts', [withDevices], env), none: await startChild('lookout-child.ts', [withoutDevices], env) };
  try {
    const url = servers.devices.ready.url as string;
    for (let i = 0; i < MAX_DEVICES_PER_PERSON; i++) {
      await graphql(url, 'mutation($input: PushSubscriptionInput!) { addPushDevice(input: $input) { __typename } }', {
        input: { endpoint: `${service.origin}/push/${i}`, ...subscriptionKeys(), label: `device ${i}` },
      });
    }
    const figures = { devices: { cpu: [] as number[], p99: [] as number[] }, none: { cpu: [] as number[], p99: [] as number[] } };
    for (let round = 0; round < settings.rounds; round++) {
      for (const side of round % 2 ? (['none', 'devices'] as const) : (['devices', 'none'] as const)) {
        const { cpuPerChange, healthP99 } = await changes(servers[side], round);
        figures[side].cpu.push(cpuPerChange);
        figures[side].p99.push(healthP99);
      }
    }
    const ratio = (a: number[], b: number[]) => a.map((v, i) => v / b[i]!);
    const { devices, none } = figures;
    return [
      row('push-cpu', `Server CPU per change, one person with ${MAX_DEVICES_PER_PERSON} devices, ${CHANGES} changes`, 'ms', devices.cpu, {
        baseline: ['no device', none.cpu],
        ratio: ['with ÷ without devices', ratio(devices.cpu, none.cpu)],
      }),
      row('push-healthz-p99', `/healthz p99 meanwhile, one person with ${MAX_DEVICES_PER_PERSON} devices`, 'ms', devices.p99, {
        baseline: ['no device', none.p99],
        ratio: ['with ÷ without devices', ratio(devices.p99, none.p99)],
      }),
    ];
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    service.close();
  }
}
