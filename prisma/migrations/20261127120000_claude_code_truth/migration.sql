-- What Lookout needs to tell the truth about Claude Code sessions: subagents' own prompts, work
-- left running in the background, the assistant's last message, why a session ended, and the
-- agent's process and transcript when it runs on Lookout's machine.
ALTER TABLE "Session" ADD COLUMN "agentWaits" TEXT;
ALTER TABLE "Session" ADD COLUMN "backgroundTasks" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Session" ADD COLUMN "lastMessage" TEXT;
ALTER TABLE "Session" ADD COLUMN "closeDetail" TEXT;
ALTER TABLE "Session" ADD COLUMN "agentPid" INTEGER;
ALTER TABLE "Session" ADD COLUMN "transcriptPath" TEXT;
