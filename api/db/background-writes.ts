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
