// What every input must be before anything reads it: nested no deeper than MAX_INPUT_DEPTH (a
// value nested 50,000 deep would exhaust the stack of whatever walks it next), and well-formed
// UTF-16 text: a JSON escape such as "\ud800" decodes to an unpaired surrogate, which SQLite stores
// as invalid UTF-8 and nothing can read back. Checked where input arrives (GraphQL requests on
// every transport, hook payloads), so that no such value reaches the domain.

/** How deep objects and arrays may nest in an input: far beyond any real hook payload or GraphQL request. */
export const MAX_INPUT_DEPTH = 64;

/** Too deep; or where the first ill-formed string or key is (e.g. ["variables", "input", "sessionId"]). */
export type InputProblem = { tooDeep: true } | { tooDeep: false; path: string[] };

const TOO_DEEP = 'too deep';

/** The path is built only on the way back from a find: checking sound input allocates nothing. */
function find(value: unknown, depth: number): string[] | typeof TOO_DEEP | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : [];
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_INPUT_DEPTH) return TOO_DEEP;
  for (const key in value) {
    if (!key.isWellFormed()) return [key];
    const found = find((value as Record<string, unknown>)[key], depth + 1);
    if (found === TOO_DEEP) return found;
    if (found) return [key, ...found];
  }
  return null;
}

/** What is wrong with an input, or null. */
export function inputProblem(value: unknown): InputProblem | null {
  const found = find(value, 0);
  return found === null ? null : found === TOO_DEEP ? { tooDeep: true } : { tooDeep: false, path: found };
}

export function inputProblemMessage(problem: InputProblem): string {
  if (problem.tooDeep) return `The input nests deeper than ${MAX_INPUT_DEPTH} levels.`;
  return `${problem.path.join('.') || 'The input'} holds text that is not valid Unicode (an unpaired UTF-16 surrogate).`;
}
