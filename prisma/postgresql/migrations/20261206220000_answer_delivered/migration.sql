-- The hook that waited for an answer from Lookout says it received it.
ALTER TYPE "SessionEventKind" ADD VALUE 'DELIVER';
