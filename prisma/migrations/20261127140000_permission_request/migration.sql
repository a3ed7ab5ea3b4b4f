-- The permission prompt a session's hook is waiting on, answerable from Lookout.
ALTER TABLE "Session" ADD COLUMN "permissionRequest" TEXT;
