// Text must be well-formed UTF-16: a JSON escape such as "\ud800" decodes to an unpaired surrogate,
// which SQLite stores as invalid UTF-8 and nothing can read back. Checked where input arrives
// (GraphQL requests on every transport, hook payloads), so that no such string reaches the domain.

/** Where the first ill-formed string or key in `value` is (e.g. ["variables", "input", "sessionId"]); null when there is none. */
export function illFormedTextAt(value: unknown): string[] | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : [];
  if (typeof value !== 'object' || value === null) return null;
  // The path is built only on the way back from a find: checking well-formed input allocates nothing.
  for (const key in value) {
    if (!key.isWellFormed()) return [key];
    const found = illFormedTextAt((value as Record<string, unknown>)[key]);
    if (found) return [key, ...found];
  }
  return null;
}

export function illFormedTextMessage(path: string[]): string {
  return `${path.join('.') || 'The input'} holds text that is not valid Unicode (an unpaired UTF-16 surrogate).`;
}
