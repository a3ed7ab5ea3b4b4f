// Every root field declares the scope it needs (`needs` in its schema extensions, and in its
// description); this checks the whole operation against the asker's scope before anything runs. An
// operation with one field the token may not use gets no answer at all, never a partial one, and a
// root field that declares no scope is refused to everyone: a new operation cannot be open by mistake.
// A token that may not read (report) gets a session's id back from its reports, nothing of its data.
import { BREAK, type DocumentNode, type GraphQLError, type GraphQLSchema, getOperationAST, Kind, type SelectionSetNode, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Context } from '../schema/builder.ts';
import { grants, type Scope } from '../tokens/scopes.ts';

/** The names of an operation's root fields, through fragments. */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(document, selection.selectionSet, seen);
    if (seen.has(selection.name.value)) return [];
    seen.add(selection.name.value);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
    return fragment && fragment.kind === Kind.FRAGMENT_DEFINITION ? rootFields(document, fragment.selectionSet, seen) : [];
  });
}

/**
 * The first field of a session's data (anything but its id) the document selects, wherever it is:
 * what a token that may not read the feed (a report token) must not get back from the mutations it may run.
 */
function sessionDataField(schema: GraphQLSchema, document: DocumentNode): string | null {
  const types = new TypeInfo(schema);
  let found: string | null = null;
  visit(
    document,
    visitWithTypeInfo(types, {
      Field(node) {
        if (types.getParentType()?.name === 'Session' && node.name.value !== 'id' && node.name.value !== '__typename') {
          found = `Session.${node.name.value}`;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return found;
}

/** Why the operation is refused, or null when the asker's scope allows every root field of it, and every session field it selects. */
export function refusal(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, context: Context): GraphQLError | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null; // GraphQL's own validation answers this
  const root = schema.getRootType(operation.operation);
  const principal = context.principal;
  for (const name of rootFields(document, operation.selectionSet)) {
    if (name.startsWith('__')) continue; // introspection: the schema is no secret
    const needs = root?.getFields()[name]?.extensions?.needs as Scope | undefined;
    if (needs && principal && grants(principal.scope, needs)) continue;
    const why = !needs ? `${name} declares no scope` : `${name} needs the ${needs} scope; this token has ${principal?.scope ?? 'none'}`;
    return createGraphQLError(`Forbidden: ${why}.`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
  }
  if (principal && !grants(principal.scope, 'read')) {
    const field = sessionDataField(schema, document);
    if (field) return createGraphQLError(`Forbidden: ${field} needs the read scope; this token has ${principal.scope} (a report answers with the session's id only).`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
  }
  return null;
}

export const useScopes = (): Plugin<Context> => ({
  onExecute({ args, setResultAndStopExecution }) {
    const error = refusal(args.schema, args.document, args.operationName, args.contextValue);
    if (error) setResultAndStopExecution({ errors: [error] });
  },
  onSubscribe({ args, setResultAndStopExecution }) {
    const error = refusal(args.schema, args.document, args.operationName, args.contextValue);
    if (error) setResultAndStopExecution({ errors: [error] });
  },
});

