import { describe, expect, it } from 'vitest';
import { formatElapsed } from './elapsed.ts';
import { nextMorning } from './time.ts';

describe('formatElapsed', () => {
  const at = new Date('2026-11-25T10:00:00Z');
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
  it.each([
    [0, 'now'],
    [-30, 'now'], // a clock a little ahead never shows negative time
    [45, '45s'],
    [12 * 60 + 5, '12m'],
    [3 * 3600, '3h'],
    [47 * 3600, '47h'],
    [3 * 86400, '3d'],
  ])('%ss after is %s', (seconds, text) => {
    expect(formatElapsed(at, later(seconds))).toBe(text);
  });
});

describe('nextMorning', () => {
  it('is 9:00 tomorrow once 9:00 today has passed, else 9:00 today', () => {
    const evening = new Date(2026, 10, 25, 18, 30);
    expect(nextMorning(evening)).toEqual(new Date(2026, 10, 26, 9, 0));
    const early = new Date(2026, 10, 25, 7, 0);
    expect(nextMorning(early)).toEqual(new Date(2026, 10, 25, 9, 0));
  });
});
