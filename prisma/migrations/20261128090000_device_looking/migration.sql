-- Whether a device's page is in front of its user, kept where every replica reads it.
ALTER TABLE "PushDevice" ADD COLUMN "lookingUntil" DATETIME;
