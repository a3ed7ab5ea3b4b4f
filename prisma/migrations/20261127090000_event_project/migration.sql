-- Each log entry records the session's project after and before the change.
ALTER TABLE "SessionEvent" ADD COLUMN "project" TEXT;
ALTER TABLE "SessionEvent" ADD COLUMN "previousProject" TEXT;

-- Entries logged before this knew only the session's current project: the best there is.
UPDATE "SessionEvent"
SET "project" = (SELECT "project" FROM "Session" WHERE "Session"."id" = "SessionEvent"."sessionId"),
    "previousProject" = (SELECT "project" FROM "Session" WHERE "Session"."id" = "SessionEvent"."sessionId");
