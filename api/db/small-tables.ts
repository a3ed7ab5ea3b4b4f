// The small tables a process reads whole when it starts, and again when another process changed one
// (tokens, policies, webhooks, push devices and keys, channels, the answer links' key). Each engine
// reads them on its own connection, not through Prisma: Prisma's first query loads and compiles its
// query compiler (WebAssembly), about a third of a start once its code came from the code cache
// (`npm run bench`, startup). Rows come back as Prisma returns them (a test on each engine compares).
import type { AnswerLinkKey, ApiToken, NotificationPolicy, PersonChannel, PushDevice, VapidKeys, WebhookTarget } from '../generated/prisma/client.ts';

export interface SmallTableRows {
  ApiToken: ApiToken;
  NotificationPolicy: NotificationPolicy;
  AnswerLinkKey: AnswerLinkKey;
  WebhookTarget: WebhookTarget;
  VapidKeys: VapidKeys;
  PushDevice: PushDevice;
  PersonChannel: PersonChannel;
}
export type SmallTable = keyof SmallTableRows;

export interface SmallTables {
  /** Every row of `table`, in the table's order (`SMALL_TABLES`). */
  all<T extends SmallTable>(table: T): Promise<SmallTableRows[T][]>;
}

type FieldsOf<R, V> = { [K in keyof R]-?: V extends R[K] ? K : never }[keyof R];
interface Shape<R> {
  /** Its rows' order, as the code that reads them relies on: SQL, the same on every engine. */
  order: string | null;
  /** Its columns that are dates and booleans: what a driver may return as text or numbers. */
  dates: readonly FieldsOf<R, Date>[];
  booleans: readonly FieldsOf<R, boolean>[];
}

export const SMALL_TABLES = {
  ApiToken: { order: null, dates: ['createdAt', 'lastUsedAt', 'revokedAt'], booleans: [] },
  NotificationPolicy: { order: null, dates: [], booleans: [] },
  // The newest first, and the first the one every process uses (`answer-links.ts`); likewise the keys (`push.ts`).
  AnswerLinkKey: { order: '"createdAt" DESC, "id" ASC', dates: ['createdAt'], booleans: [] },
  WebhookTarget: { order: '"createdAt" ASC', dates: ['createdAt', 'lastAttemptAt', 'lastSuccessAt'], booleans: ['onlyEscalations'] },
  VapidKeys: { order: '"publicKey" ASC', dates: [], booleans: [] },
  PushDevice: { order: null, dates: ['createdAt', 'lastAttemptAt', 'lastSuccessAt', 'lookingUntil'], booleans: [] },
  PersonChannel: { order: '"createdAt" ASC', dates: ['createdAt', 'lastAttemptAt', 'lastSuccessAt'], booleans: ['verified'] },
} as const satisfies { [T in SmallTable]: Shape<SmallTableRows[T]> };

// Fails to compile when a table gains a date or boolean column the lists above do not name.
type Unlisted<T extends SmallTable> = [
  Exclude<FieldsOf<SmallTableRows[T], Date>, (typeof SMALL_TABLES)[T]['dates'][number]> | Exclude<FieldsOf<SmallTableRows[T], boolean>, (typeof SMALL_TABLES)[T]['booleans'][number]>,
] extends [never]
  ? true
  : false;
const everyColumnListed: { [T in SmallTable]: Unlisted<T> } = {
  ApiToken: true,
  NotificationPolicy: true,
  AnswerLinkKey: true,
  WebhookTarget: true,
  VapidKeys: true,
  PushDevice: true,
  PersonChannel: true,
};
void everyColumnListed;

/** The statement that reads `table` whole; the name is checked, never taken as given. */
export function selectAll(table: SmallTable): string {
  if (!Object.hasOwn(SMALL_TABLES, table)) throw new Error(`${table} is not one of the small tables.`);
  const { order } = SMALL_TABLES[table];
  return `SELECT * FROM "${table}"${order ? ` ORDER BY ${order}` : ''}`;
}

/** A row as a driver returned it, with its dates and booleans as Prisma returns them. */
export function converted<T extends SmallTable>(table: T, row: Record<string, unknown>): SmallTableRows[T] {
  const { dates, booleans } = SMALL_TABLES[table] as Shape<Record<string, unknown>>;
  const result: Record<string, unknown> = { ...row };
  for (const column of dates) {
    const value = row[column];
    result[column] = value === null || value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
  }
  for (const column of booleans) result[column] = row[column] === true || row[column] === 1;
  return result as SmallTableRows[T];
}
