-- Answer from anywhere: answer links and their key, each person's channels, chat link codes.
-- CreateTable
CREATE TABLE "AnswerLink" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "person" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "choice" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "outcome" TEXT
);

-- CreateTable
CREATE TABLE "AnswerLinkKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "secret" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "PersonChannel" (
    "person" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" DATETIME,
    "lastStatus" TEXT,
    "lastSuccessAt" DATETIME,

    PRIMARY KEY ("person", "kind")
);

-- CreateTable
CREATE TABLE "ChannelLinkCode" (
    "code" TEXT NOT NULL PRIMARY KEY,
    "person" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "AnswerLink_expiresAt_idx" ON "AnswerLink"("expiresAt");
