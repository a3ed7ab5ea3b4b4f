// The one token rule, shared by HTTP, SSE and graphql-ws.
import { timingSafeEqual } from 'node:crypto';

/** True when no token is configured, or the Authorization value is `Bearer <token>`. */
export function isAuthorized(token: string | undefined, authorization: string | null | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer (.+)$/i.exec(authorization ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function unauthorizedResponse(): Response {
  return new Response(JSON.stringify({ errors: [{ message: 'Missing or wrong token: send Authorization: Bearer <LOOKOUT_TOKEN>.' }] }), {
    status: 401,
    headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="lookout"' },
  });
}
