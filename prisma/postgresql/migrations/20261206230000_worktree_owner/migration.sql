-- Whose uncommitted work it is: the work tree's state now, and as the session found it.
ALTER TABLE "Session" ADD COLUMN "worktreeState" TEXT;
ALTER TABLE "Session" ADD COLUMN "foundWorktree" TEXT;
