// A Web Push service on loopback for tests: HTTPS (push services are reached over https only) with
// a certificate made here and trusted by this process alone, recording each request it gets, and
// a browser-side subscription (P-256 key pair and auth secret) whose messages it can decrypt.
import { execFile } from 'node:child_process';
import { createECDH, createPublicKey, type ECDH, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ece from 'http_ece';
import type { DeliveryOptions } from '../api/notify/deliveries.ts';

export interface PushRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface PushService {
  origin: string;
  /** What a Lookout needs to push here: the host named as a push service of its own, the certificate trusted. */
  lookout: { env: Record<string, string>; deliveries: DeliveryOptions };
  received: PushRequest[];
  /** Waits until `count` requests have arrived; fails, saying how many did, after `timeoutMs`. */
  next(count: number, timeoutMs?: number): Promise<PushRequest[]>;
  /** What the service answers from now on (201 Created, as real push services do). */
  answer(status: number): void;
  /** Answers nothing until released (a slow push service); the most requests it held at once. */
  hold(): { release(): void; most(): number };
  close(): void;
}

/** A self-signed certificate for localhost, made with openssl. */
export async function certificate(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookout-push-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', '-keyout', key, '-out', cert,
  ]);
  return { key: await readFile(key), cert: await readFile(cert) };
}

export async function startPushService(): Promise<PushService> {
  const tls = await certificate();
  const received: PushRequest[] = [];
  const waiters: (() => void)[] = [];
  let status = 201;
  let held: { answers: (() => void)[]; most: number } | null = null;
  const server: Server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      waiters.splice(0).forEach((w) => w());
      const answer = () => void res.writeHead(status).end();
      if (!held) return answer();
      held.answers.push(answer);
      held.most = Math.max(held.most, held.answers.length);
    });
  });
  // Both loopback addresses, whichever localhost resolves to first.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  return {
    origin: `https://localhost:${(server.address() as { port: number }).port}`,
    lookout: { env: { LOOKOUT_PUSH_HOSTS: 'localhost' }, deliveries: { ca: tls.cert } },
    received,
    async next(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Expected ${count} push(es) at the push service, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, left);
        });
      }
      return received.slice(0, count);
    },
    answer: (next) => void (status = next),
    hold() {
      const holding: { answers: (() => void)[]; most: number } = { answers: [], most: 0 };
      held = holding;
      return {
        release: () => {
          held = null;
          holding.answers.splice(0).forEach((answer) => answer());
        },
        most: () => holding.most,
      };
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** What a browser's PushSubscription holds: its key pair and auth secret. */
export interface BrowserSubscription {
  ecdh: ECDH;
  p256dh: string;
  auth: string;
}

export function browserSubscription(): BrowserSubscription {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') };
}

/** Decrypts a push request's body (RFC 8291, aes128gcm) as the browser would. */
export function decrypt(request: PushRequest, subscription: BrowserSubscription): unknown {
  const plain: Buffer = ece.decrypt(request.body, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth });
  return JSON.parse(plain.toString('utf8'));
}

/** Checks the request's VAPID header (RFC 8292): signed by `publicKey` for this push service's origin. */
export function vapidClaims(request: PushRequest, publicKey: string): Record<string, unknown> {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(request.headers.authorization ?? '');
  if (!match) throw new Error(`No VAPID authorization: ${request.headers.authorization}`);
  const [jwt, key] = [match[1]!, match[2]!];
  if (key !== publicKey) throw new Error('Signed with another key');
  const [header, claims, signature] = jwt.split('.') as [string, string, string];
  const raw = Buffer.from(publicKey, 'base64url');
  const jwk = { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') };
  const valid = verify('sha256', Buffer.from(`${header}.${claims}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!valid) throw new Error('The VAPID signature does not verify');
  return JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
}
