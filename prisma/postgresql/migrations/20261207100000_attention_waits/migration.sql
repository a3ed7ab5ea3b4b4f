-- Attention analytics: each stretch of time a session needed its person, derived from the log.
-- CreateTable
CREATE TABLE "AttentionWait" (
    "id" SERIAL NOT NULL,
    "sessionId" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "project" TEXT,
    "agent" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subagent" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3),
    "answeredAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "endedBy" TEXT,
    "decision" TEXT,
    "escalated" BOOLEAN NOT NULL DEFAULT false,
    "tool" TEXT,
    "rule" TEXT,
    "startSeq" INTEGER NOT NULL,
    "endSeq" INTEGER,

    CONSTRAINT "AttentionWait_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AttentionWait_owner_startedAt_idx" ON "AttentionWait"("owner", "startedAt");

-- CreateIndex
CREATE INDEX "AttentionWait_startedAt_idx" ON "AttentionWait"("startedAt");

-- CreateIndex
CREATE INDEX "AttentionWait_sessionId_endedAt_idx" ON "AttentionWait"("sessionId", "endedAt");
