-- Scoped tokens for agents, tools and people; only a hash of each secret is kept.
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "person" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "revokedAt" DATETIME
);

-- Every session belongs to a person; those reported before belong to the one implicit person.
ALTER TABLE "Session" ADD COLUMN "owner" TEXT NOT NULL DEFAULT 'you';
CREATE INDEX "Session_owner_idx" ON "Session"("owner");
