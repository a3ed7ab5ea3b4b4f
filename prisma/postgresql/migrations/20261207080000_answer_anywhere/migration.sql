-- Answer from anywhere: answer links and their key, each person's channels, chat link codes.
-- CreateTable
CREATE TABLE "AnswerLink" (
    "id" TEXT NOT NULL,
    "person" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "choice" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "outcome" TEXT,

    CONSTRAINT "AnswerLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnswerLinkKey" (
    "id" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnswerLinkKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PersonChannel" (
    "person" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),
    "lastStatus" TEXT,
    "lastSuccessAt" TIMESTAMP(3),

    CONSTRAINT "PersonChannel_pkey" PRIMARY KEY ("person","kind")
);

-- CreateTable
CREATE TABLE "ChannelLinkCode" (
    "code" TEXT NOT NULL,
    "person" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelLinkCode_pkey" PRIMARY KEY ("code")
);

-- CreateIndex
CREATE INDEX "AnswerLink_expiresAt_idx" ON "AnswerLink"("expiresAt");
