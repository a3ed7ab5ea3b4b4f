// The baselines Lookout is measured against, each a plain node:http (and ws) server:
//   feed-sql   the feed's equivalent SQL on the same SQLite file with better-sqlite3, same JSON
//   fixed      a fixed, pre-serialized body (the ceiling for any HTTP answer)
//   broadcast  a plain ws server that sends one payload to every client on POST
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import { ATTENTION_REASONS, ATTENTION_TIERS } from '../shared/feed-order.ts';
import { serveParent, settledHeap } from './children.ts';

const [mode, file] = process.argv.slice(2);

/** The feed as Lookout answers it: tracked sessions whose newest logged attention is not null. */
export const FEED_SQL = `
  SELECT s.id, s.title, s.project, s.branch, s.host, s.link, s.agent, s.state, s.waitDetail, s.lastEventAt,
         (SELECT e.attention FROM SessionEvent e WHERE e.sessionId = s.id ORDER BY e.seq DESC LIMIT 1) AS attention
  FROM Session s WHERE s.tracked = 1`;
// Lookout answers up to this many feed items in one page.
const FEED_PAGE_SIZE = 500;

function feedBody(db: Database.Database): string {
  const latestSeq = (db.prepare('SELECT MAX(seq) AS seq FROM SessionEvent').get() as { seq: number }).seq;
  const rows = db.prepare(FEED_SQL).all() as ({ id: string; lastEventAt: string; attention: string | null } & Record<string, string | null>)[];
  const nodes = rows
    .filter((row) => row.attention)
    .map(({ attention, lastEventAt, ...row }) => ({ ...row, lastEventAt: new Date(lastEventAt).toISOString(), attention: JSON.parse(attention!) }))
    .sort(
      (a, b) =>
        ATTENTION_TIERS.indexOf(a.attention.tier) - ATTENTION_TIERS.indexOf(b.attention.tier) ||
        ATTENTION_REASONS.indexOf(a.attention.reason) - ATTENTION_REASONS.indexOf(b.attention.reason) ||
        b.attention.since.localeCompare(a.attention.since) ||
        a.id.localeCompare(b.id),
    )
    .slice(0, FEED_PAGE_SIZE);
  return JSON.stringify({ data: { attentionSessions: { latestSeq, edges: nodes.map((node) => ({ node })) } } });
}

let fixedBody = '';
const db = mode === 'feed-sql' ? new Database(file, { readonly: true }) : undefined;
const json = { 'content-type': 'application/graphql-response+json; charset=utf-8' };

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (mode === 'broadcast') return broadcast(new URL(req.url!, 'http://x').searchParams.get('marker')!, res);
    res.writeHead(200, json);
    res.end(mode === 'feed-sql' ? feedBody(db!) : fixedBody);
  });
});

// broadcast: POST /?marker=… sends Lookout's own event payload, with that marker, to every client.
const wss = mode === 'broadcast' ? new WebSocketServer({ server }) : undefined;
let eventTemplate = '';
function broadcast(marker: string, res: import('node:http').ServerResponse) {
  const message = eventTemplate.replace('__MARKER__', marker);
  for (const client of wss!.clients) client.send(message);
  res.writeHead(200, json);
  res.end('{"data":{"recordActivity":{"__typename":"MutationRecordActivitySuccess"}}}');
}

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
serveParent(
  {
    setBody: ({ body }) => void (fixedBody = body),
    setEvent: ({ template }) => void (eventTemplate = template),
    body: () => (db ? feedBody(db) : fixedBody),
    heap: () => settledHeap(),
  },
  { url: `http://127.0.0.1:${port}/graphql`, port },
);
