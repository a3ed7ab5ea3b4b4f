import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

// graphql-http's own conformance audits for GraphQL over HTTP, against the real server.
describe('GraphQL over HTTP audits', () => {
  for (const audit of serverAudits({ url: () => server.url, fetchFn: fetch })) {
    if (audit.name.startsWith('MAY')) continue; // optional
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
    });
  }
});
