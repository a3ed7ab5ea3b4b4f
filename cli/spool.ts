// Hook events that could not be delivered, kept on disk until a later hook call (or `lookout
// flush`) reaches the server. Bounded, and safe against hooks of concurrent sessions: the lock is
// held only for quick file operations, never across a network request.
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MAX_EVENTS = 2000;
const LOCK_STALE_MS = 5_000;
const LOCK_WAIT_MS = 3_000;
/** A claimed batch older than this belongs to a hook that died while sending it. */
const ABANDONED_MS = 30_000;

export interface Claimed {
  events: unknown[];
  /** Forgets the first `delivered` events and puts the rest back, in front of anything spooled since. */
  settle(delivered: number): Promise<void>;
}

export class Spool {
  readonly file: string;
  private readonly lock: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'spool.jsonl');
    this.lock = path.join(dir, 'spool.lock');
  }

  private async locked<T>(task: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await mkdir(this.lock); // atomic: only one process creates it
        break;
      } catch {
        const age = await stat(this.lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > LOCK_STALE_MS || Date.now() > deadline) await rm(this.lock, { recursive: true, force: true });
        else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
      }
    }
    try {
      return await task();
    } finally {
      await rm(this.lock, { recursive: true, force: true });
    }
  }

  private async readLines(file: string): Promise<unknown[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text.split('\n').flatMap((line) => {
      if (!line) return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        return []; // a torn line from a crash
      }
    });
  }

  private async write(events: unknown[]): Promise<void> {
    const kept = events.slice(Math.max(0, events.length - MAX_EVENTS)); // the oldest go first
    await writeFile(this.file, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  /** Keeps events for later, after those already kept. */
  add(events: unknown[]): Promise<void> {
    return this.locked(async () => this.write([...(await this.readLines(this.file)), ...events]));
  }

  /** Takes every kept event out of the spool for one delivery attempt, oldest first. */
  async claim(): Promise<Claimed> {
    const claimedFile = path.join(this.dir, `sending-${process.pid}-${Date.now()}.jsonl`);
    const events = await this.locked(async () => {
      const abandoned = (await readdir(this.dir)).filter((name) => name.startsWith('sending-'));
      const recovered: unknown[] = [];
      for (const name of abandoned) {
        const file = path.join(this.dir, name);
        const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > ABANDONED_MS) {
          recovered.push(...(await this.readLines(file)));
          await rm(file, { force: true });
        }
      }
      const kept = [...recovered, ...(await this.readLines(this.file))];
      if (kept.length) await writeFile(claimedFile, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await rm(this.file, { force: true });
      return kept;
    });
    return {
      events,
      settle: async (delivered) => {
        if (!events.length) return;
        if (delivered >= events.length) return rm(claimedFile, { force: true });
        await this.locked(async () => {
          await this.write([...events.slice(delivered), ...(await this.readLines(this.file))]);
          await rm(claimedFile, { force: true });
        });
      },
    };
  }

  /** How many events wait to be delivered (kept, or taken by a delivery still under way). */
  async waiting(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const files = names.filter((name) => name === path.basename(this.file) || name.startsWith('sending-'));
    const counts = await Promise.all(files.map((name) => this.readLines(path.join(this.dir, name)).then((lines) => lines.length)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The log's last lines, newest last. */
  async lastLogLines(count: number): Promise<string[]> {
    const text = await readFile(path.join(this.dir, 'hook.log'), 'utf8').catch(() => '');
    return text.trimEnd().split('\n').filter(Boolean).slice(-count);
  }

  /** A small local log for the hook path, which must not write to the agent's terminal. */
  async log(line: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, 'hook.log');
    const size = await stat(file).then((s) => s.size, () => 0);
    if (size > 256 * 1024) await rename(file, `${file}.1`);
    await appendFile(file, `${new Date().toISOString()} ${line}\n`);
  }
}
