// Hook requests the server refused (a missing, wrong or revoked token, a scope that cannot report),
// counted by the address they came from since that address's last report was taken: a token
// turned on or revoked later breaks installed hooks without a sound, and this is how it is heard.
// Kept in memory, per process: a count, never a report's content.

/** At most this many addresses are tracked; the one refused longest ago makes room. */
const MAX_ADDRESSES = 100;

export interface RefusedHooksAt {
  address: string;
  count: number;
  /** The first refusal since the address's last accepted report. */
  since: Date;
  last: Date;
  status: number;
}

export class RefusedHooks {
  private readonly byAddress = new Map<string, RefusedHooksAt>();

  refused(address: string, status: number, now = new Date()): void {
    const known = this.byAddress.get(address);
    if (known) {
      this.byAddress.delete(address);
      this.byAddress.set(address, { ...known, count: known.count + 1, last: now, status });
      return;
    }
    if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
    this.byAddress.set(address, { address, count: 1, since: now, last: now, status });
  }

  /** A report from the address was taken: its hooks work again. */
  accepted(address: string): void {
    this.byAddress.delete(address);
  }

  /** Newest refusal first. */
  list(): RefusedHooksAt[] {
    return [...this.byAddress.values()].reverse();
  }
}
