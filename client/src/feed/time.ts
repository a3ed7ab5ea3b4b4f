// Relative times for the feed, ticking in the page without refetching.
import { useEffect, useState } from 'react';

/** The next 9:00 in local time after `now`. */
export function nextMorning(now: Date): Date {
  const morning = new Date(now);
  morning.setHours(9, 0, 0, 0);
  if (morning <= now) morning.setDate(morning.getDate() + 1);
  return morning;
}

/** The current time, re-rendering every `everyMs`. */
export function useNow(everyMs = 10_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
