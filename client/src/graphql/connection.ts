// The live connection's state, as the page shows it: one graphql-ws socket for the whole page.
import { useSyncExternalStore } from 'react';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'unauthorized';

export interface ConnectionStore {
  get(): ConnectionState;
  set(state: ConnectionState): void;
  subscribe(listener: () => void): () => void;
  /** Called on every (re)connection after the first: the feed catches up then. */
  onReconnect(listener: () => void): () => void;
  reconnected(): void;
}

export function createConnectionStore(initial: ConnectionState = 'connecting'): ConnectionStore {
  let state = initial;
  const listeners = new Set<() => void>();
  const reconnectListeners = new Set<() => void>();
  return {
    get: () => state,
    set(next) {
      if (next === state) return;
      state = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    reconnected() {
      for (const listener of reconnectListeners) listener();
    },
  };
}

export function useConnectionState(store: ConnectionStore): ConnectionState {
  return useSyncExternalStore(store.subscribe, store.get);
}
