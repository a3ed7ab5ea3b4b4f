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

export class PermissionAlreadyAnsweredError extends Error {
  override name = 'PermissionAlreadyAnsweredError';
  constructor(readonly requestId: string, how: string) {
    super(`Permission request "${requestId}" was already answered (${how}): the first answer stands.`);
  }
}

export class PermissionExpiredError extends Error {
  override name = 'PermissionExpiredError';
  constructor(readonly requestId: string) {
    super(`Permission request "${requestId}" can no longer be answered here: its hook stopped waiting. Answer it in the terminal.`);
  }
}

export class CannotAlwaysAllowError extends Error {
  override name = 'CannotAlwaysAllowError';
  constructor(readonly requestId: string) {
    super(`Claude Code offered no rule to always allow permission request "${requestId}": allow it once, or deny it.`);
  }
}

export class AnswerNotDeliveredError extends Error {
  override name = 'AnswerNotDeliveredError';
  constructor(readonly requestId: string) {
    super(`No hook took the answer to request "${requestId}" (Lookout restarted, or the hook stopped waiting): the agent did not get it. Answer it in the terminal.`);
  }
}

export class InvalidAnswerError extends Error {
  override name = 'InvalidAnswerError';
  constructor(
    readonly requestId: string,
    problem: string,
  ) {
    super(`That does not answer request "${requestId}": ${problem}`);
  }
}

export class NotYoursError extends Error {
  override name = 'NotYoursError';
  constructor(readonly sessionId: string) {
    super(`Session "${sessionId}" belongs to someone else: only its owner (or an admin) reports on it or acts on it.`);
  }
}

export class WriteBusyError extends Error {
  override name = 'WriteBusyError';
  constructor() {
    super('Other Lookout processes kept writing first: nothing was stored. Send it again.');
  }
}

export class WriteUnknownError extends Error {
  override name = 'WriteUnknownError';
  constructor(cause: unknown) {
    super('The database stopped answering while this was being stored: it may or may not be stored. Sending it again with the same event id is safe.', { cause });
  }
}
