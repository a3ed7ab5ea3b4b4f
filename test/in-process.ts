// Lookout in-process: everything but the HTTP listener, over a fresh database, asked through
// `yoga.fetch` as a given principal (what the guard would have established from a token). For
// tests of the schema and its inputs; the transport (the guard, HTTP limits, WebSockets, hooks'
// routes) is tested against the real server (helpers.ts, startServer).
import { OWNER } from '../api/attention/transitions.ts';
import { loadConfig } from '../api/config.ts';
import { type LookoutOptions, type OpenLookout, openLookout } from '../api/http/lookout.ts';
import type { Principal } from '../api/tokens/scopes.ts';
import { freshDatabase } from './helpers.ts';

/** The user of a Lookout without tokens: an admin. */
export const OWNER_PRINCIPAL: Principal = { person: OWNER, scope: 'admin', tokenId: null };

export interface InProcessLookout extends OpenLookout {
  /** Where its data is: a `file:` location or a `postgresql://` URL. */
  database: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, as?: Principal): Promise<{ data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] }>;
}

export async function inProcess(env: Record<string, string> = {}, options: LookoutOptions = {}): Promise<InProcessLookout> {
  const database = await freshDatabase();
  const lookout = await openLookout(loadConfig({ DATABASE_URL: database, ...env }), options);
  return {
    ...lookout,
    database,
    async gql(query, variables, as = OWNER_PRINCIPAL) {
      const res = await lookout.yoga.fetch(
        'http://lookout.test/graphql',
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query, variables }) },
        { principal: as },
      );
      return res.json() as never;
    },
  };
}
