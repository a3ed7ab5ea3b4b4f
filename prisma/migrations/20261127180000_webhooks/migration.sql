-- Webhook targets: where "needs you" goes besides the page, with the last delivery's outcome.
CREATE TABLE "WebhookTarget" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "secret" TEXT,
    "person" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" DATETIME,
    "lastStatus" TEXT,
    "lastSuccessAt" DATETIME
);
