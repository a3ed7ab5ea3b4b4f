// The Session table's columns, as both stores write them.
import type { Session } from '../generated/prisma/client.ts';

type DateColumn = { [K in keyof Session]-?: Date extends Session[K] ? K : never }[keyof Session];

// Every column, so that a row read back is exactly the Session Prisma would return. The checks
// below fail to compile when the schema gains a column these lists do not name.
export const SESSION_COLUMNS = [
  'id', 'agent', 'title', 'project', 'cwd', 'branch', 'host', 'link', 'state', 'stateAt', 'activityAt',
  'waitReason', 'waitDetail', 'lastSpeaker', 'lastSpeakerAt', 'lastEventAt', 'uncommittedFiles', 'worktreeAt',
  'dirtySince', 'closedBy', 'closedAt', 'hidden', 'seenAt', 'snoozedUntil', 'snoozedReason', 'tracked',
  'createdAt', 'updatedAt', 'agentWaits', 'backgroundTasks', 'lastMessage', 'closeDetail', 'agentPid', 'transcriptPath', 'permissionRequest', 'owner',
  'worktreeState', 'foundWorktree',
] as const satisfies readonly (keyof Session)[];
export const DATE_COLUMNS = [
  'stateAt', 'activityAt', 'lastSpeakerAt', 'lastEventAt', 'worktreeAt', 'dirtySince', 'closedAt', 'seenAt',
  'snoozedUntil', 'createdAt', 'updatedAt',
] as const satisfies readonly DateColumn[];
export const BOOLEAN_COLUMNS = ['hidden', 'tracked'] as const satisfies readonly (keyof Session)[];
type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
const everyColumnListed: Unlisted<keyof Session, (typeof SESSION_COLUMNS)[number]> = true;
const everyDateListed: Unlisted<DateColumn, (typeof DATE_COLUMNS)[number]> = true;
void [everyColumnListed, everyDateListed];

