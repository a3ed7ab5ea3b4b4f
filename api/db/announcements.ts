// How the processes sharing one database tell each other that a small table changed (tokens,
// policies, webhook targets, push devices), so each reloads its copy in memory. With one process
// (SQLite) nobody else is there to hear, and nothing is sent.
export type SharedTable = 'ApiToken' | 'NotificationPolicy' | 'WebhookTarget' | 'PushDevice' | 'VapidKeys' | 'AnswerLinkKey' | 'PersonChannel';

export interface Announcements {
  /** Tells the other processes that `table` changed; resolves once it is sent. */
  announce(table: SharedTable): Promise<void>;
  /** Calls `reload` when another process changed `table` (a failure is logged); returns how to stop. */
  listen(table: SharedTable, reload: () => Promise<unknown>): () => void;
}

/** One process alone: nothing to tell. */
export const ALONE: Announcements = {
  announce: async () => {},
  listen: () => () => {},
};

/**
 * Runs `load` now and again each time it is asked, one at a time, so that a copy in memory always
 * ends as the newest read of its table.
 */
export function reloader(load: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => (last = last.then(load, load));
}
