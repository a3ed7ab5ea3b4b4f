// Expected failures of the attention service: each is a typed result in the API, never a crash.

export class SessionNotFoundError extends Error {
  override name = 'SessionNotFoundError';
  constructor(readonly sessionId: string) {
    super(`No session with id "${sessionId}". recordSpeaker registers a session.`);
  }
}

export class NotInFeedError extends Error {
  override name = 'NotInFeedError';
  constructor(readonly sessionId: string) {
    super(`Session "${sessionId}" is not in the feed, so there is nothing to snooze.`);
  }
}
