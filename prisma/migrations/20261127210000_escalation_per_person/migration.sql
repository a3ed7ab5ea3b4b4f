-- Each person's own escalation time (null: the server's default).
ALTER TABLE "NotificationPolicy" ADD COLUMN "escalateAfterMinutes" INTEGER;

-- A webhook that hears only escalations: a second channel for waits that drag on.
ALTER TABLE "WebhookTarget" ADD COLUMN "onlyEscalations" BOOLEAN NOT NULL DEFAULT false;
