-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "agent" TEXT NOT NULL,
    "title" TEXT,
    "project" TEXT,
    "cwd" TEXT,
    "branch" TEXT,
    "host" TEXT,
    "link" TEXT,
    "state" TEXT NOT NULL DEFAULT 'IDLE',
    "stateAt" DATETIME NOT NULL,
    "activityAt" DATETIME NOT NULL,
    "waitReason" TEXT,
    "waitDetail" TEXT,
    "lastSpeaker" TEXT,
    "lastSpeakerAt" DATETIME,
    "lastEventAt" DATETIME NOT NULL,
    "uncommittedFiles" INTEGER,
    "worktreeAt" DATETIME,
    "dirtySince" DATETIME,
    "closedBy" TEXT,
    "closedAt" DATETIME,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "seenAt" DATETIME,
    "snoozedUntil" DATETIME,
    "snoozedReason" TEXT,
    "tracked" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SessionEvent" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "sessionId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "eventId" TEXT,
    "at" DATETIME NOT NULL,
    "recordedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "input" TEXT NOT NULL,
    "attention" TEXT,
    "previousAttention" TEXT,
    CONSTRAINT "SessionEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StoreMeta" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "Session_tracked_idx" ON "Session"("tracked");

-- CreateIndex
CREATE INDEX "Session_project_idx" ON "Session"("project");

-- CreateIndex
CREATE INDEX "Session_updatedAt_idx" ON "Session"("updatedAt");

-- CreateIndex
CREATE INDEX "SessionEvent_sessionId_seq_idx" ON "SessionEvent"("sessionId", "seq");

-- CreateIndex
CREATE INDEX "SessionEvent_recordedAt_idx" ON "SessionEvent"("recordedAt");

-- CreateIndex
CREATE UNIQUE INDEX "SessionEvent_sessionId_eventId_key" ON "SessionEvent"("sessionId", "eventId");
