// How long ago something began, in the feed's short form and in words; shared by the page and the CLI.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Below this, it just happened: "now" shows no longer than this. */
const NOW_FOR_MS = 3 * SECOND;

const age = (since: Date, now: Date) => Math.max(0, now.getTime() - since.getTime());

/** "now", "45s", "12m", "3h", "2d": how long ago `since` was; never negative. */
export function formatElapsed(since: Date, now: Date): string {
  const ms = age(since, now);
  if (ms < NOW_FOR_MS) return 'now';
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < 48 * HOUR) return `${Math.floor(ms / HOUR)}h`;
  return `${Math.floor(ms / DAY)}d`;
}

/** The same, as a screen reader says it: "just now", "22 seconds ago", "1 minute ago". */
export function elapsedInWords(since: Date, now: Date): string {
  const ms = age(since, now);
  if (ms < NOW_FOR_MS) return 'just now';
  const [count, unit] = ms < MINUTE ? [Math.floor(ms / SECOND), 'second'] : ms < HOUR ? [Math.floor(ms / MINUTE), 'minute'] : ms < 48 * HOUR ? [Math.floor(ms / HOUR), 'hour'] : [Math.floor(ms / DAY), 'day'];
  return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
}

/** How long until the short form changes: the next second, minute, hour or day of its age. */
export function untilElapsedChanges(since: Date, now: Date): number {
  const ms = age(since, now);
  const step = ms < MINUTE ? SECOND : ms < HOUR ? MINUTE : ms < 48 * HOUR ? HOUR : DAY;
  return step - (ms % step);
}
