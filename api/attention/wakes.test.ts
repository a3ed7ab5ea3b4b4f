import { describe, expect, it } from 'vitest';
import { wakeSoon } from './wakes.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('waking feed streams', () => {
  it('wakes them a chunk per turn of the event loop, each once however often it was asked, until all are woken', async () => {
    const woken: number[] = [];
    const wakes = Array.from({ length: 70 }, (_, i) => () => woken.push(i));
    for (const wake of wakes) wakeSoon(wake);
    for (const wake of wakes.slice(0, 10)) wakeSoon(wake);
    expect(woken).toEqual([]);
    await nextTurn();
    expect(woken).toEqual(Array.from({ length: 32 }, (_, i) => i));
    await nextTurn();
    expect(woken).toHaveLength(64);
    await nextTurn();
    expect(woken).toEqual(Array.from({ length: 70 }, (_, i) => i));
    await nextTurn();
    expect(woken).toHaveLength(70);
  });
});
