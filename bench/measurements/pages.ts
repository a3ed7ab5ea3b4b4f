// What one change costs the server with N feed pages open: the page now applies the change from
// the live event to its cache; before, every page asked for the whole feed again. Both run side by
// side against the same server and feed (200 items, as the issue measured), on the server's CPU.
import { type Child, startChild } from '../children.ts';
import { graphql } from '../http.ts';
import { type Row, row, type Settings } from '../report.ts';
import { FEED_SIZE } from '../seed.ts';

const PAGE_FEED = 200;
const RECORD = `mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }`;
const SPEAK = `mutation Speak($input: RecordSpeakerInput!) { recordSpeaker(input: $input) { __typename } }`;

let markers = 0;

/** Server CPU milliseconds per change, over `count` changes each waited for by every page. */
async function cpuPerChange(lookout: Child, pages: Child, url: string, count: number): Promise<number> {
  /** One change; true once every page is done with it, false if that takes longer than `waitMs`. */
  const change = async (waitMs = 30_000) => {
    const marker = `page bench ${++markers}`;
    let stop = () => {};
    const everyone = new Promise<boolean>((resolve) => {
      stop = pages.onMessage((m) => m.type === 'all-received' && m.marker === marker && resolve(true));
      setTimeout(() => resolve(false), waitMs).unref();
    });
    await graphql(url, RECORD, { input: { sessionId: 'page-bench', state: 'WAITING', waitReason: 'PERMISSION', waitDetail: marker } });
    const all = await everyone;
    stop();
    return all;
  };
  // graphql-ws does not confirm a subscription: every page listens once a change reached them all.
  for (let tries = 0; !(await change(2_000)); tries++) if (tries === 10) throw new Error('Changes never reached every page');
  const before = await lookout.request<number>('cpu');
  for (let i = 0; i < count; i++) if (!(await change())) throw new Error('A change did not reach every page in 30 s');
  return ((await lookout.request<number>('cpu')) - before) / count;
}

export async function measurePages(file: string, settings: Settings, counts: number[]): Promise<Row[]> {
  const lookout = await startChild('lookout-child.ts', [file]);
  const url = lookout.ready.url as string;
  const rows: Row[] = [];
  try {
    await graphql(url, SPEAK, { input: { sessionId: 'page-bench', speaker: 'USER', title: 'The session that changes', project: 'bench' } });
    for (let i = 0; i < PAGE_FEED - FEED_SIZE - 1; i++) {
      await graphql(url, SPEAK, { input: { sessionId: `page-feed-${i}`, speaker: 'ASSISTANT', title: `Replied ${i}`, project: `p${i % 7}` } });
    }
    for (const count of counts) {
      const patched: number[] = [];
      const refetching: number[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        for (const mode of round % 2 ? (['refetch', 'patch'] as const) : (['patch', 'refetch'] as const)) {
          const pages = await startChild('pages-child.ts', [mode, url]);
          try {
            await pages.request('connect', { count });
            (mode === 'patch' ? patched : refetching).push(await cpuPerChange(lookout, pages, url, settings.quick ? 5 : 20));
          } finally {
            await pages.request('close').catch(() => {});
            await pages.stop();
          }
        }
      }
      rows.push(
        row(`pages-${count}`, `Server CPU per change, ${count} open pages, ${PAGE_FEED}-item feed`, 'ms', patched, {
          baseline: ['pages refetching the feed', refetching],
          ratio: ['patched ÷ refetching', patched.map((p, i) => p / refetching[i]!)],
        }),
      );
    }
  } finally {
    await lookout.stop();
  }
  return rows;
}
