-- Attention analytics: each stretch of time a session needed its person, derived from the log.
-- CreateTable
CREATE TABLE "AttentionWait" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "sessionId" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "project" TEXT,
    "agent" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subagent" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" DATETIME NOT NULL,
    "seenAt" DATETIME,
    "answeredAt" DATETIME,
    "endedAt" DATETIME,
    "endedBy" TEXT,
    "decision" TEXT,
    "escalated" BOOLEAN NOT NULL DEFAULT false,
    "tool" TEXT,
    "rule" TEXT,
    "startSeq" INTEGER NOT NULL,
    "endSeq" INTEGER
);

-- CreateIndex
CREATE INDEX "AttentionWait_owner_startedAt_idx" ON "AttentionWait"("owner", "startedAt");

-- CreateIndex
CREATE INDEX "AttentionWait_startedAt_idx" ON "AttentionWait"("startedAt");

-- CreateIndex
CREATE INDEX "AttentionWait_sessionId_endedAt_idx" ON "AttentionWait"("sessionId", "endedAt");
