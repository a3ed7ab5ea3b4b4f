// `npm run bench [-- --quick] [-- --only=feed,delivery,growth,writes,startup,pages,page,push,hooks,insights,postgresql,mixed,replicas]`: measures Lookout
// against baselines run side by side in the same run, prints one table and writes
// bench/results/latest.json (quick runs write quick.json). See BENCHMARKS.md. The PostgreSQL steps
// use LOOKOUT_BENCH_POSTGRESQL (this machine's server by default), in databases made and dropped by the run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureDelivery } from './measurements/delivery.ts';
import { measureEngines, measureMixed, measureReplicas, measureReplicaWrites } from './measurements/engines.ts';
import { measureFeed } from './measurements/feed.ts';
import { measureGrowth, queryPlans } from './measurements/growth.ts';
import { measureHookCost } from './measurements/hook-cost.ts';
import { measurePage } from './measurements/page.ts';
import { measurePages } from './measurements/pages.ts';
import { measurePushLoad } from './measurements/push-load.ts';
import { measureStartup } from './measurements/startup.ts';
import { measureWrites } from './measurements/writes.ts';
import { machine, met, printTable, type Row, type Settings, writeResults } from './report.ts';
import { measureInsights } from './measurements/insights.ts';
import { bundleServer } from '../api/bundle.ts';
import { LOOKOUT_CHILD_BUNDLE } from './children.ts';
import { copyOf, copyOfPostgresql, dropBenchDatabases, seededDatabase, seededPostgresql } from './seed.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (name: string) => !only || only.includes(name);
const settings: Settings = { quick, rounds: quick ? 2 : 5 };
const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
const subscriberCounts = quick ? [1, 100] : [1, 100, 1000];
const postgresqlServer = process.env.LOOKOUT_BENCH_POSTGRESQL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const onPostgresql = ['postgresql', 'mixed', 'replicas'].some(wanted);

const dir = await mkdtemp(path.join(tmpdir(), 'lookout-bench-'));
const rows: Row[] = [];
const notes: string[] = [];
try {
  console.log(`Lookout benchmarks${quick ? ' (quick)' : ''} on ${JSON.stringify(machine())}`);
  await bundleServer(fileURLToPath(new URL('lookout-child.ts', import.meta.url)), LOOKOUT_CHILD_BUNDLE);
  const files = new Map<number, string>();
  for (const size of sizes) {
    const started = Date.now();
    files.set(size, await seededDatabase(dir, size));
    console.log(`seeded ${size} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const largest = sizes.at(-1)!;
  const step = async (name: string, measure: () => Promise<Row[]>) => {
    if (!wanted(name)) return;
    const started = Date.now();
    const measured = await measure();
    rows.push(...measured);
    console.log(`${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    printTable(measured);
  };
  await step('feed', () => measureFeed(files.get(10_000)!, settings));
  await step('delivery', async () => measureDelivery(await copyOf(files.get(1_000)!, 'delivery.db'), settings, subscriberCounts));
  await step('growth', () => measureGrowth(files, settings));
  await step('writes', async () => measureWrites(await copyOf(files.get(10_000)!, 'writes.db'), await copyOf(files.get(10_000)!, 'raw.db'), settings));
  await step('startup', async () => measureStartup(await copyOf(files.get(largest)!, 'startup.db'), largest, settings));
  await step('pages', async () => measurePages(await copyOf(files.get(1_000)!, 'pages.db'), settings, quick ? [10] : [10, 50]));
  await step('page', async () => [
    ...(await measurePage(await copyOf(files.get(1_000)!, 'page-200.db'), settings, 200)),
    ...(quick ? [] : await measurePage(await copyOf(files.get(1_000)!, 'page-500.db'), settings, 500)),
  ]);
  await step('push', async () => measurePushLoad(await copyOf(files.get(1_000)!, 'push-devices.db'), await copyOf(files.get(1_000)!, 'push-none.db'), settings));
  await step('insights', () => measureInsights(dir, settings));
  await step('hooks', async () => measureHookCost(await copyOf(files.get(1_000)!, 'hooks.db'), await mkdtemp(path.join(dir, 'home-')), settings));
  if (onPostgresql) {
    const started = Date.now();
    const seeded: Record<number, string> = {};
    for (const size of new Set([10_000, largest])) seeded[size] = await seededPostgresql(postgresqlServer, size);
    console.log(`seeded PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const copies = async (name: string) => ({
      sqlite: await copyOf(files.get(10_000)!, `${name}.db`),
      postgresql: await copyOfPostgresql(postgresqlServer, seeded[10_000]!, name),
    });
    await step('postgresql', async () =>
      measureEngines(await copies('engines'), { sqlite: `file:${await copyOf(files.get(largest)!, 'engines-startup.db')}`, postgresql: seeded[largest]! }, largest, settings),
    );
    await step('mixed', async () => measureMixed(await copies('mixed'), settings));
    await step('replicas', async () => [
      ...(await measureReplicas(await copyOfPostgresql(postgresqlServer, seeded[10_000]!, 'replicas'), settings)),
      ...(await measureReplicaWrites(await copyOfPostgresql(postgresqlServer, seeded[10_000]!, 'replica-writes'), settings)),
    ]);
  }
  if (wanted('growth')) {
    for (const { name, plan, fullScan } of queryPlans(files.get(largest)!)) {
      notes.push(`Query plan, ${name}: ${plan}${fullScan ? ' (FULL SCAN)' : ''}`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  if (onPostgresql) await dropBenchDatabases(postgresqlServer);
}

console.log(`\nAll figures: median of ${settings.rounds} rounds ± half their range.`);
printTable(rows);
for (const note of notes) console.log(note);
const file = fileURLToPath(new URL(`results/${quick ? 'quick' : 'latest'}.json`, import.meta.url));
await writeResults(file, settings, rows, notes);
console.log(`Written to ${path.relative(process.cwd(), file)}`);
const missed = rows.filter((r) => met(r) === false);
if (missed.length) {
  const judged = quick ? ' (a quick run: rounds too short to judge by; BENCHMARKS.md holds the full run)' : '';
  console.log(`Targets missed${judged}: ${missed.map((r) => r.id).join(', ')}`);
}
