// Whether this process is ready to serve, kept up to date in the background so that /readyz and
// /metrics answer at once from what was last seen, even while the database is slow or locked (a
// probe that times out says nothing). Checked once a second, one check at a time; a check that has
// not finished for a while is itself the answer: the database does not answer. Draining (shutting
// down) is not ready either, so that a load balancer stops sending before the listener closes.

/** How often the database is asked. */
const CHECK_EVERY_MS = 1_000;
/** No check finished for this long: the database is not answering. */
const UNANSWERED_AFTER_MS = 5_000;

export interface ReadinessChecks {
  /** What is wrong with the database (unreachable, migrations missing), in words; empty when nothing. */
  problems(): Promise<string[]>;
  /** The shared log's newest seq. */
  latestSeq(): Promise<number>;
  /** How many entries this process has yet to read, when it falls behind (0 otherwise). */
  lagging(latestSeq: number): number;
}

export class Readiness {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private found: string[] = [];
  private checkedAt = Date.now();
  private draining = false;
  /** The shared log's newest seq, as last read. */
  latestSeq = 0;

  constructor(private readonly checks: ReadinessChecks) {}

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** From now on, not ready: the process is shutting down. */
  drain(): void {
    this.draining = true;
  }

  /** Why this process is not ready now; empty when it is. */
  problems(now = Date.now()): string[] {
    if (this.draining) return ['Shutting down: send requests to another replica.'];
    if (now - this.checkedAt > UNANSWERED_AFTER_MS) return [`The database has not answered for ${Math.round((now - this.checkedAt) / 1000)} s.`];
    return this.found;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const found = await this.checks.problems();
      if (!found.length) {
        this.latestSeq = await this.checks.latestSeq();
        const lag = this.checks.lagging(this.latestSeq);
        if (lag) found.push(`${lag} log entries not read yet: this process is not keeping up with the others`);
      }
      this.found = found;
      this.checkedAt = Date.now();
    } catch (error) {
      console.error('Readiness check failed:', (error as Error).message);
    } finally {
      this.checking = false;
    }
  }
}
