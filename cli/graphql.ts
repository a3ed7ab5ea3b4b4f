// How the CLI talks to Lookout: one GraphQL request over HTTP with the token, and the errors it ends in.
import type { Server } from './hook.ts';

/** Something went wrong talking to Lookout: exit 1. */
export class CliError extends Error {}
/** The token's scope does not allow it: exit 1. */
export class ForbiddenError extends CliError {}

export async function graphql<T>(server: Server, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(new URL('/graphql', server.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(server.token ? { authorization: `Bearer ${server.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: Error) => {
    throw new CliError(`Cannot reach Lookout at ${server.url} (${error.message}): start it (npm start in its folder), or pass --url / set LOOKOUT_URL to where it runs.`);
  });
  if (res.status === 401) {
    throw new CliError(
      server.token
        ? `Lookout at ${server.url} refused the token (revoked, or not one of its tokens): set LOOKOUT_TOKEN to one it knows (lookout token ls shows them, to an admin).`
        : `Lookout at ${server.url} needs a token: set LOOKOUT_TOKEN (or pass --token) to one with the act scope, or the server's own LOOKOUT_TOKEN.`,
    );
  }
  if (res.status === 403) {
    const refused = (await res.json().catch(() => ({}))) as { errors?: { message: string }[] };
    throw new ForbiddenError(refused.errors?.[0]?.message ?? "This token's scope does not allow that.");
  }
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new CliError(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}
