// A connection PostgreSQL ends while Lookout holds it between two queries (lent by the pool, its
// borrower's code not yet running, or between a transaction's statements) is not an uncaught error
// that ends the process: the next query on it fails, as a query in flight does, and the pool goes on.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { resilientPool } from '../api/db/postgresql.ts';
import { freshDatabase, ON_POSTGRESQL, sql } from './helpers.ts';

describe.runIf(ON_POSTGRESQL)("Lookout's PostgreSQL connections", () => {
  it('survive being ended between queries, with no listener of their own', async () => {
    const database = await freshDatabase();
    for (const [name, pool, survives] of [
      ['a plain pg pool', new pg.Pool({ connectionString: database }), false],
      ["Lookout's pool", resilientPool({ connectionString: database }), true],
    ] as const) {
      pool.on('error', () => {});
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Whatever reaches the process as an uncaught 'error' event is caught here instead.
      const uncaught: unknown[] = [];
      const original = client.emit.bind(client);
      client.emit = ((event: string, ...args: unknown[]) => {
        if (event === 'error' && client.listenerCount('error') === 0) {
          uncaught.push(args[0]);
          return true;
        }
        return original(event, ...args);
      }) as typeof client.emit;
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      await sql(database, `SELECT pg_terminate_backend(${rows[0]!.pid})`);
      await ended;
      expect(uncaught.length > 0, name).toBe(!survives);
      await expect(client.query('SELECT 1'), name).rejects.toThrow();
      client.release(true);
      // The pool lends a working connection next.
      expect((await pool.query('SELECT 1 AS one')).rows, name).toEqual([{ one: 1 }]);
      await pool.end();
    }
  });
});
