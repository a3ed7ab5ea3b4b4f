import { describe, expect, it } from 'vitest';
import { elapsedInWords, formatElapsed, untilElapsedChanges } from '../../../shared/elapsed.ts';
import { nextMorning } from './time.ts';

describe('formatElapsed', () => {
  const at = new Date('2026-11-25T10:00:00Z');
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
  it.each([
    [0, 'now'],
    [2.9, 'now'],
    [-30, 'now'], // a clock a little ahead never shows negative time
    [3, '3s'], // "now" lasts a few seconds, no more
    [45, '45s'],
    [12 * 60 + 5, '12m'],
    [3 * 3600, '3h'],
    [47 * 3600, '47h'],
    [3 * 86400, '3d'],
  ])('%ss after is %s', (seconds, text) => {
    expect(formatElapsed(at, later(seconds))).toBe(text);
  });
});

describe('elapsedInWords and untilElapsedChanges', () => {
  const at = new Date('2026-11-25T10:00:00Z');
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
  it.each([
    [1, 'just now', 1_000],
    [22, '22 seconds ago', 1_000],
    [22.4, '22 seconds ago', 600],
    [60, '1 minute ago', 60_000],
    [12 * 60 + 5, '12 minutes ago', 55_000],
    [3 * 3600, '3 hours ago', 3_600_000],
    [3 * 86400, '3 days ago', 86_400_000],
  ])('%ss after: "%s", and the short form changes in %s ms', (seconds, words, ms) => {
    expect(elapsedInWords(at, later(seconds))).toBe(words);
    expect(untilElapsedChanges(at, later(seconds))).toBe(ms);
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
