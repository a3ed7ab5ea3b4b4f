-- The whole schema on PostgreSQL, as `prisma migrate diff --from-empty` made it from prisma/postgresql/schema.prisma.
-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AgentState" AS ENUM ('WORKING', 'WAITING', 'IDLE', 'ENDED');

-- CreateEnum
CREATE TYPE "WaitReason" AS ENUM ('PERMISSION', 'QUESTION', 'REVIEW', 'BLOCKED', 'ERROR');

-- CreateEnum
CREATE TYPE "Speaker" AS ENUM ('USER', 'ASSISTANT');

-- CreateEnum
CREATE TYPE "ClosedBy" AS ENUM ('USER', 'AUTO', 'ABANDONED');

-- CreateEnum
CREATE TYPE "SessionEventKind" AS ENUM ('REGISTER', 'SPEAKER', 'ACTIVITY', 'WORKTREE', 'CLOSE', 'SEEN', 'SNOOZE', 'HIDE', 'UNHIDE', 'TIMER', 'ANSWER', 'EXPIRE');

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "title" TEXT,
    "project" TEXT,
    "cwd" TEXT,
    "branch" TEXT,
    "host" TEXT,
    "link" TEXT,
    "state" "AgentState" NOT NULL DEFAULT 'IDLE',
    "stateAt" TIMESTAMP(3) NOT NULL,
    "activityAt" TIMESTAMP(3) NOT NULL,
    "waitReason" "WaitReason",
    "waitDetail" TEXT,
    "lastSpeaker" "Speaker",
    "lastSpeakerAt" TIMESTAMP(3),
    "lastEventAt" TIMESTAMP(3) NOT NULL,
    "uncommittedFiles" INTEGER,
    "worktreeAt" TIMESTAMP(3),
    "dirtySince" TIMESTAMP(3),
    "closedBy" "ClosedBy",
    "closedAt" TIMESTAMP(3),
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "seenAt" TIMESTAMP(3),
    "snoozedUntil" TIMESTAMP(3),
    "snoozedReason" TEXT,
    "tracked" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "agentWaits" TEXT,
    "backgroundTasks" INTEGER NOT NULL DEFAULT 0,
    "lastMessage" TEXT,
    "closeDetail" TEXT,
    "agentPid" INTEGER,
    "transcriptPath" TEXT,
    "permissionRequest" TEXT,
    "owner" TEXT NOT NULL DEFAULT 'you',

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionEvent" (
    "seq" SERIAL NOT NULL,
    "sessionId" TEXT NOT NULL,
    "kind" "SessionEventKind" NOT NULL,
    "eventId" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "input" TEXT NOT NULL,
    "attention" TEXT,
    "previousAttention" TEXT,
    "project" TEXT,
    "previousProject" TEXT,

    CONSTRAINT "SessionEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "StoreMeta" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "StoreMeta_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "person" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookTarget" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "secret" TEXT,
    "person" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),
    "lastStatus" TEXT,
    "lastSuccessAt" TIMESTAMP(3),
    "onlyEscalations" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "WebhookTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationPolicy" (
    "person" TEXT NOT NULL,
    "mode" TEXT NOT NULL DEFAULT 'normal',
    "mutedProjects" TEXT NOT NULL DEFAULT '[]',
    "quietFrom" INTEGER,
    "quietUntil" INTEGER,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "escalateAfterMinutes" INTEGER,

    CONSTRAINT "NotificationPolicy_pkey" PRIMARY KEY ("person")
);

-- CreateTable
CREATE TABLE "PushDevice" (
    "endpoint" TEXT NOT NULL,
    "person" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),
    "lastStatus" TEXT,
    "lastSuccessAt" TIMESTAMP(3),
    "lookingUntil" TIMESTAMP(3),

    CONSTRAINT "PushDevice_pkey" PRIMARY KEY ("endpoint")
);

-- CreateTable
CREATE TABLE "VapidKeys" (
    "publicKey" TEXT NOT NULL,
    "privateKey" TEXT NOT NULL,

    CONSTRAINT "VapidKeys_pkey" PRIMARY KEY ("publicKey")
);

-- CreateIndex
CREATE INDEX "Session_tracked_idx" ON "Session"("tracked");

-- CreateIndex
CREATE INDEX "Session_project_idx" ON "Session"("project");

-- CreateIndex
CREATE INDEX "Session_updatedAt_idx" ON "Session"("updatedAt");

-- CreateIndex
CREATE INDEX "Session_owner_idx" ON "Session"("owner");

-- CreateIndex
CREATE INDEX "SessionEvent_sessionId_seq_idx" ON "SessionEvent"("sessionId", "seq");

-- CreateIndex
CREATE INDEX "SessionEvent_recordedAt_idx" ON "SessionEvent"("recordedAt");

-- CreateIndex
CREATE UNIQUE INDEX "SessionEvent_sessionId_eventId_key" ON "SessionEvent"("sessionId", "eventId");

-- AddForeignKey
ALTER TABLE "SessionEvent" ADD CONSTRAINT "SessionEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

