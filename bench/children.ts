// Child processes the suite measures or drives: each one answers requests over IPC.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  /** What the child sent when it was ready (e.g. its URL). */
  ready: Record<string, unknown>;
  request<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
  /** Messages the child sends on its own (not replies); returns the way to stop listening. */
  onMessage(listener: (message: Record<string, unknown>) => void): () => void;
  stop(): Promise<void>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** With `--profile`, each Lookout under measurement writes a CPU profile here when it stops. */
export const PROFILE_DIR = fileURLToPath(new URL('results/profiles', import.meta.url));

/**
 * The Lookout under measurement runs as `npm start` runs it: bundled (the suite bundles
 * lookout-child.ts here first, as `npm run build:server` bundles the server), in plain node. The
 * other children (clients, baselines) run through tsx.
 */
export const LOOKOUT_CHILD_BUNDLE = fileURLToPath(new URL('../dist/bench/lookout-child.mjs', import.meta.url));

export async function startChild(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<Child> {
  const lookout = script === 'lookout-child.ts';
  const profile = process.argv.includes('--profile') && lookout ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = fork(lookout ? LOOKOUT_CHILD_BUNDLE : here(script), args, {
    execArgv: [...(lookout ? [] : ['--import', 'tsx']), '--expose-gc', '--max-old-space-size=4096', ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(message: Record<string, unknown>) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (message: any) => {
      if (message.type === 'ready') return resolve(message);
      if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`${script}: ${message.error}`));
        else waiter?.resolve(message.result);
        return;
      }
      for (const listener of listeners) listener(message);
    });
    child.once('exit', (code) => {
      const error = new Error(`${script} exited with ${code}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
    });
  });
  return {
    process: child,
    ready,
    request: (command, args = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ type: 'request', id, command, ...args });
      }),
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** In a child: answer the parent's requests with these handlers, then say it is ready. */
export function serveParent(handlers: Record<string, (args: any) => unknown>, ready: Record<string, unknown> = {}): void {
  process.on('message', async (message: any) => {
    if (message.type !== 'request') return;
    try {
      const result = await handlers[message.command]!(message);
      process.send!({ type: 'reply', id: message.id, result });
    } catch (error) {
      process.send!({ type: 'reply', id: message.id, error: String((error as Error)?.stack ?? error) });
    }
  });
  // The parent going away ends the child, whatever it was doing.
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', ...ready });
}

/** The heap in use after a full collection (children run with --expose-gc). */
export async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc!();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

export const now = () => performance.timeOrigin + performance.now();
