// Writes nobody waits for (a delivery's outcome, a token's last use): never in a request's way,
// each failure said in the log, and all of them finished before the database closes.
export class BackgroundWrites {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly what: string) {}

  add(write: Promise<unknown>): void {
    const settled = write.catch((error) => console.error(`${this.what} failed:`, error)).finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** Resolves once every write added so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }
}

/**
 * Outcomes noted in bursts (a delivery's end, per device or channel): only each row's latest is
 * kept, and each row is written once per burst, in the background.
 */
export class LatestNotes<T extends object> {
  private readonly unwritten = new Map<string, T>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writes: BackgroundWrites,
    private readonly write: (key: string, noted: T) => Promise<unknown>,
    private readonly everyMs = 250,
  ) {}

  note(key: string, noted: T): void {
    this.unwritten.set(key, { ...this.unwritten.get(key), ...noted });
    this.timer ??= setTimeout(() => this.flush(), this.everyMs);
  }

  /** Writes what is noted now (the writes are then the background's to finish). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, noted] of this.unwritten) this.writes.add(this.write(key, noted));
    this.unwritten.clear();
  }
}
