// The small tables as each engine reads them (SQLite, or PostgreSQL in the api-postgresql project):
// every row exactly as Prisma returns it (its dates, booleans, nulls and numbers), in the order the
// code that reads them relies on.
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, ON_POSTGRESQL } from '../../test/helpers.ts';
import { openDatabase } from './database.ts';
import type { OpenedDatabase } from './opened-database.ts';
import { type SmallTable, selectAll } from './small-tables.ts';

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 9, minutes, 0, 123));

const opened: OpenedDatabase[] = [];
afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

async function filled(): Promise<OpenedDatabase> {
  const database = await openDatabase(await freshDatabase());
  opened.push(database);
  const { db } = database;
  // Written out of order, with every column's kind set and null.
  await db.apiToken.createMany({
    data: [
      { id: 't2', name: 'CI', scope: 'report', person: 'ana', secretHash: 'h2', createdAt: at(2), lastUsedAt: at(3), revokedAt: at(4) },
      { id: 't1', name: 'Phone', scope: 'act', person: 'bo', secretHash: 'h1', createdAt: at(1), lastUsedAt: null, revokedAt: null },
    ],
  });
  await db.notificationPolicy.createMany({
    data: [
      { person: 'ana', mode: 'quiet', mutedProjects: '["shop"]', quietFrom: 1320, quietUntil: 420, timeZone: 'Europe/Paris', escalateAfterMinutes: 15 },
      { person: 'bo' },
    ],
  });
  await db.answerLinkKey.createMany({
    data: [
      { id: 'b', secret: 'older', createdAt: at(1) },
      { id: 'c', secret: 'newest, second by id', createdAt: at(9) },
      { id: 'a', secret: 'newest, first by id', createdAt: at(9) },
    ],
  });
  await db.webhookTarget.createMany({
    data: [
      { id: 'w2', url: 'https://hooks.example/2', format: 'slack', secret: 's', person: 'ana', createdAt: at(5), lastAttemptAt: at(6), lastStatus: '200', lastSuccessAt: at(6), onlyEscalations: true },
      { id: 'w1', url: 'https://hooks.example/1', format: 'json', createdAt: at(1) },
    ],
  });
  await db.vapidKeys.createMany({ data: [{ publicKey: 'BZ', privateKey: 'z' }, { publicKey: 'BA', privateKey: 'a' }] });
  await db.pushDevice.createMany({
    data: [
      { endpoint: 'https://push.example/1', person: 'ana', p256dh: 'p', auth: 'a', label: 'Phone', createdAt: at(1), lookingUntil: at(2) },
      { endpoint: 'https://push.example/2', person: 'bo', p256dh: 'p', auth: 'a', label: 'Laptop', createdAt: at(2), lastAttemptAt: at(3), lastStatus: '410', lastSuccessAt: null },
    ],
  });
  await db.personChannel.createMany({
    data: [
      { person: 'ana', kind: 'slack', address: 'U1', verified: true, createdAt: at(7), lastAttemptAt: at(8), lastStatus: 'ok', lastSuccessAt: at(8) },
      { person: 'ana', kind: 'ntfy', address: 'topic', verified: false, createdAt: at(3) },
    ],
  });
  return database;
}

describe(`the small tables, read on ${ON_POSTGRESQL ? 'PostgreSQL' : 'SQLite'}'s own connection`, () => {
  it('read every row as Prisma returns it, in the order the code relies on', async () => {
    const { db, tables } = await filled();
    const byPrisma: { [T in SmallTable]: () => Promise<unknown[]> } = {
      ApiToken: () => db.apiToken.findMany({ orderBy: { id: 'asc' } }),
      NotificationPolicy: () => db.notificationPolicy.findMany({ orderBy: { person: 'asc' } }),
      AnswerLinkKey: () => db.answerLinkKey.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] }),
      WebhookTarget: () => db.webhookTarget.findMany({ orderBy: { createdAt: 'asc' } }),
      VapidKeys: () => db.vapidKeys.findMany({ orderBy: { publicKey: 'asc' } }),
      PushDevice: () => db.pushDevice.findMany({ orderBy: { endpoint: 'asc' } }),
      PersonChannel: () => db.personChannel.findMany({ orderBy: { createdAt: 'asc' } }),
    };
    // Tables in no order are compared as sets.
    const unordered: Partial<Record<SmallTable, (row: any) => string>> = { ApiToken: (r) => r.id, NotificationPolicy: (r) => r.person, PushDevice: (r) => r.endpoint };
    for (const table of Object.keys(byPrisma) as SmallTable[]) {
      const read: unknown[] = await tables.all(table);
      const key = unordered[table];
      if (key) read.sort((a, b) => key(a).localeCompare(key(b)));
      expect({ table, rows: read }).toStrictEqual({ table, rows: await byPrisma[table]() });
    }
    expect((await tables.all('AnswerLinkKey'))[0]!.secret).toBe('newest, first by id');
    expect((await tables.all('VapidKeys'))[0]!.publicKey).toBe('BA');
    expect((await tables.all('ApiToken')).find((t) => t.id === 't2')!.revokedAt).toEqual(at(4));
  });

  it('read only the tables they know, whatever name they are given', async () => {
    const { tables } = await filled();
    await expect(tables.all('ApiToken"; DROP TABLE "ApiToken' as SmallTable)).rejects.toThrow('is not one of the small tables');
    expect(() => selectAll('Session' as SmallTable)).toThrow('is not one of the small tables');
    expect(() => selectAll('constructor' as SmallTable)).toThrow('is not one of the small tables');
    expect(await tables.all('ApiToken')).toHaveLength(2);
  });
});
