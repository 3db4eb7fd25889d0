import os from 'node:os';
import { benchApi } from './api.js';
import { benchStages } from './stages.js';
import { compareBuilds } from './compare.js';
import { benchIngest } from './ingest.js';
import { feedToTopicLatency } from './latency.js';
import { benchRules } from './rules.js';
import { benchSearch } from './search.js';
import { benchSearchRules } from './search-rules.js';
import { benchWeb } from './web.js';
import { benchStoryGrouping } from './stories.js';

/** `npm run bench`: every benchmark, printing its figures and the machine it ran on. */
console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${new Date().toISOString()}`,
);
const only = process.argv[2];
/** `--name N` from the command line, or the fallback. */
const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
if (!only || only === 'rules') {
  console.log('topic matching, items of ~7 KB (half Hindi, half English), topics of ~10 terms:');
  for (const line of benchRules()) console.log('  ' + line);
}
if (!only || only === 'latency') {
  const latency = await feedToTopicLatency(100, 5);
  console.log(
    `feed added → all ${latency.items} items tagged and the topic feed serving them: median ${latency.medianMs} ms (runs: ${latency.runsMs.join(', ')} ms)`,
  );
}
if (only === 'compare') {
  // Not part of a plain `npm run bench`: it needs another build to compare with.
  const [rootA, rootB = process.cwd(), t = '1000'] = process.argv.slice(3);
  if (!rootA) throw new Error('usage: npm run bench -- compare <root A> [<root B, default .>] [<T, default 1000>]');
  for (const line of await compareBuilds(rootA, rootB, Number(t))) console.log('  ' + line);
}
if (!only || only === 'search') {
  console.log('items API text search (q):');
  for (const line of await benchSearch(Number(process.argv[3] ?? 100_000))) console.log('  ' + line);
}
if (only === 'search-rules') {
  // Not part of a plain `npm run bench`: seeding a million items takes minutes (SEARCH_BENCH_DB keeps them).
  console.log('search in the rule language, through the application layer, beside the bare indexed query:');
  await benchSearchRules(flag('items', 1_000_000), flag('runs', 20));
}
if (only === 'web') {
  // Not part of a plain `npm run bench`: seeding a million items takes minutes (API_BENCH_DB keeps them).
  console.log('the web app: its JavaScript, and a topic page drawn in Chromium:');
  await benchWeb({ items: flag('items', 1_000_000), runs: flag('runs', 10), database: process.env.API_BENCH_DB });
}
if (only === 'api') {
  // Not part of a plain `npm run bench`: seeding a million items takes minutes (API_BENCH_DB keeps them).
  console.log('read API against a bare Express route sending the same bytes:');
  await benchApi({
    items: flag('items', 1_000_000),
    topics: flag('topics', 1000),
    connections: [50, 200],
    durationSeconds: flag('duration', 10),
    database: process.env.API_BENCH_DB,
  });
}
if (only === 'ingest') {
  // Not part of a plain `npm run bench`: minutes per run, and it takes the machine.
  console.log('ingest from empty, the service as separate processes at its default settings:');
  await benchIngest({
    feeds: flag('feeds', 1000),
    workers: flag('workers', 1),
    feedsPerHost: flag('feeds-per-host', 1),
    stored: flag('stored', 0),
    env: {},
    timeoutSeconds: flag('timeout', 3600),
  });
}
if (!only || only === 'stages') {
  console.log("the worker's pure stages over the ingest farm's feeds, in one process without I/O:");
  for (const line of await benchStages(flag('feeds', 200))) console.log('  ' + line);
}
if (!only || only === 'stories') {
  console.log('story grouping, a poll of 500 new items in one feed, with items already stored:');
  for (const line of await benchStoryGrouping()) console.log('  ' + line);
}
