// `lookout token`: make, list and revoke tokens.
import { CliError, graphql } from './graphql.ts';
import { oneOf, UsageError } from './usage.ts';

const TOKEN_SCOPES = ['report', 'read', 'act', 'admin'];
import type { Server } from './hook.ts';

export async function tokenCommand(server: Server, verb: string | undefined, id: string | undefined, values: { name?: string; scope?: string; person?: string; json?: boolean }) {
  if (verb === 'create') {
    if (!values.name) throw new UsageError('token create needs --name (what it is for, e.g. laptop-hooks).');
    const scope = oneOf('scope', values.scope, TOKEN_SCOPES);
    if (!scope) throw new UsageError(`token create needs --scope (${TOKEN_SCOPES.join(', ')}).`);
    const query = `mutation($name: String!, $scope: TokenScope!, $person: String) {
      createToken(name: $name, scope: $scope, person: $person) {
        __typename ... on Error { message } ... on MutationCreateTokenSuccess { data { token apiToken { id person scope } } }
      }
    }`;
    const { createToken } = await graphql<{ createToken: { message?: string; data?: { token: string; apiToken: { id: string; person: string; scope: string } } } }>(
      server,
      query,
      { name: values.name, scope: scope.toUpperCase(), person: values.person },
    );
    if (!createToken.data) throw new CliError(createToken.message ?? 'The token was not created.');
    const { token, apiToken } = createToken.data;
    console.log(`Created token ${apiToken.id} (${apiToken.scope.toLowerCase()}, for ${apiToken.person}). It is shown this once:\n${token}`);
    return;
  }
  if (verb === 'ls') {
    const { tokens } = await graphql<{ tokens: { id: string; name: string; scope: string; person: string; lastUsedAt: string | null; revokedAt: string | null }[] }>(
      server,
      '{ tokens { id name scope person lastUsedAt revokedAt } }',
      {},
    );
    if (values.json) return console.log(JSON.stringify(tokens, null, 2));
    if (!tokens.length) return console.log('No tokens.');
    const rows = [['ID', 'SCOPE', 'PERSON', 'STATE', 'NAME'], ...tokens.map((t) => [t.id, t.scope.toLowerCase(), t.person, t.revokedAt ? `revoked ${t.revokedAt}` : t.lastUsedAt ? `last used ${t.lastUsedAt}` : 'never used', t.name])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
    return;
  }
  if (verb === 'revoke') {
    if (!id) throw new UsageError('token revoke needs the token id: lookout token ls shows it.');
    const { tokens } = await graphql<{ tokens: { id: string; revokedAt: string | null }[] }>(server, '{ tokens { id revokedAt } }', {});
    const before = tokens.find((t) => t.id === id);
    if (before?.revokedAt) return console.log(`${id} was already revoked (${before.revokedAt}): nothing changed.`);
    const query = `mutation($id: ID!) { revokeToken(id: $id) { __typename ... on Error { message } } }`;
    const { revokeToken } = await graphql<{ revokeToken: { message?: string } }>(server, query, { id });
    if (revokeToken.message) throw new CliError(revokeToken.message);
    console.log(`Revoked ${id}: refused from now on, and its open connections are closed.`);
    return;
  }
  throw new UsageError('token needs create, ls or revoke.');
}
