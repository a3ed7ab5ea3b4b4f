// A subscriber's queue of live feed events. A subscriber that falls `capacity` events behind loses
// what it had not read and gets one RESYNC marker instead: it refetches the feed (which holds every
// change so far) rather than silently missing changes, and never holds more than `capacity` events
// of server memory.
export const RESYNC = Symbol('resync');

export class ResyncQueue<T> {
  private items: (T | typeof RESYNC)[] = [];

  constructor(private readonly capacity: number) {}

  add(value: T): void {
    if (this.items.length >= this.capacity) this.items = [RESYNC];
    else this.items.push(value);
  }

  remove(): T | typeof RESYNC | undefined {
    return this.items.shift();
  }
}
