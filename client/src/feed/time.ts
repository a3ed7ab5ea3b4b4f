// Times the feed offers: when "Tomorrow 9:00" is.

/** The next 9:00 in local time after `now`. */
export function nextMorning(now: Date): Date {
  const morning = new Date(now);
  morning.setHours(9, 0, 0, 0);
  if (morning <= now) morning.setDate(morning.getDate() + 1);
  return morning;
}
