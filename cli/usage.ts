// A command line that is wrong: exit 2, with one line saying what.

/** The command line itself is wrong: exit 2, with one line saying what. */
export class UsageError extends Error {}

/** One of `allowed`, or a usage error naming the flag and the choices. */
export function oneOf(flag: string, value: string | undefined, allowed: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value.toLowerCase())) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}").`);
  return value.toLowerCase();
}
