import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic } from '../../src/app/topics.js';
import { loadConfig } from '../../src/config.js';
import { readFeedPool } from '../../src/workers/read-feed-pool.js';
import { appContext } from '../helpers/app-context.js';
import { startPollRig, type PollRig } from '../helpers/poll-rig.js';
import { MUTATIONS, mutateJsonFeed, seeded } from './mutate.js';
import { FIXTURE_DIRS } from './paths.js';

/*
 * Feed fuzzing (`npm run test:fuzz`; FUZZ_SECONDS long, FUZZ_SEED to replay a run): real and
 * synthetic feeds, mutated (corrupt bytes, cut off, entity bombs, huge attributes, deep nesting,
 * invalid UTF-8 and UTF-16, thousands of items, wrong encodings), served by a local server and
 * polled as the worker polls them: fetch → decode → parse → normalize → tag → store, against a
 * real database. Every poll must end as stored or as the feed's own failure, never as an error
 * thrown past the worker's handling; none may take longer than the deadline; memory stays
 * bounded. A failing input is written out (its path printed) to be kept in tests/fixtures/fuzz.
 */

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
// A feed whose reading costs seconds of CPU is a way to slow every poll of a worker down.
const DEADLINE_MS = 10_000;
const MAX_HEAP_MB = 1536;

const SYNTHETIC = {
  rss: `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Synthetic</title><link>http://synthetic.test/</link>
<item><guid>s1</guid><title>Russia and North Korea sign a pact</title><link>http://synthetic.test/1</link><description>&lt;p&gt;The &lt;b&gt;leaders&lt;/b&gt; met.&lt;/p&gt;</description><pubDate>Tue, 12 Nov 2024 10:00:00 GMT</pubDate></item>
<item><guid>s2</guid><title>रूस और उत्तर कोरिया</title><link>http://synthetic.test/2</link><description>दोनों देशों ने समझौता किया</description></item></channel></rss>`,
  atom: `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Synthetic Atom</title><id>urn:x</id><updated>2024-11-12T10:00:00Z</updated>
<entry><id>a1</id><title type="html">North &amp;lt;b&amp;gt;Korea&amp;lt;/b&amp;gt;</title><link href="/a1"/><updated>2024-11-12T10:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>日本の首相が発表した</p></div></content></entry></feed>`,
  json: JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: 'Synthetic JSON',
    items: [
      {
        id: 'j1',
        url: 'http://synthetic.test/j1',
        title: 'Korea',
        content_html: '<p>Text <img src=x onerror=alert(1)></p>',
        date_published: '2024-11-12T10:00:00Z',
      },
      { id: 'j2', content_text: 'کوریا اور روس', language: 'ur' },
    ],
  }),
};

function seedDocuments(): { name: string; body: Buffer; json: boolean }[] {
  const docs = Object.entries(SYNTHETIC).map(([name, text]) => ({
    name: `synthetic.${name}`,
    body: Buffer.from(text),
    json: name === 'json',
  }));
  for (const dir of FIXTURE_DIRS) {
    for (const file of readdirSync(dir).filter((f) => /\.(rss|atom|rdf|xml|json)$/.test(f))) {
      docs.push({ name: file, body: readFileSync(path.join(dir, file)), json: file.endsWith('.json') });
    }
  }
  return docs;
}

describe('feed fuzzing through the whole poll pipeline', () => {
  let rig: PollRig;
  beforeAll(async () => {
    rig = await startPollRig(`fuzz-${process.pid}`);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it(`when mutated feeds are polled for ${SECONDS} s (seed ${SEED}), then each ends stored or as the feed's failure, within the deadline, in bounded memory`, async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://unused/db',
      FETCH_ALLOW_PRIVATE: 'true',
      FETCH_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'silent',
    });
    const ctx = appContext(rig.db, config);
    // Every other case is read on a worker thread, as the service's workers read feeds.
    const reads = readFeedPool(1);
    const onThread = { ...ctx, readFeed: reads.readFeed };
    await createTopic(ctx, { slug: 'korea', name: 'Korea', rule: 'korea OR कोरिया OR 日本 OR کوریا' });
    const rand = seeded(SEED);
    const docs = seedDocuments();
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    const outDir = path.join(tmpdir(), `topicwire-fuzz-${SEED}`);
    const keep = (name: string, body: Buffer) => {
      mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, name);
      writeFileSync(file, body);
      return `input kept at ${file}`;
    };
    let cases = 0;
    let slowest = 0;
    let slowestCase = '';
    const timings: [number, string][] = [];
    let maxHeapMb = 0;
    const until = Date.now() + SECONDS * 1000;

    while (Date.now() < until) {
      const doc = docs[Math.floor(rand() * docs.length)]!;
      let body = doc.body;
      const applied: string[] = [];
      for (let k = 0, n = 1 + Math.floor(rand() * 2); k < n && body.length < 16 * 2 ** 20; k++) {
        if (doc.json && rand() < 0.6) {
          body = mutateJsonFeed(body, rand);
          applied.push('json values');
        } else {
          const m = MUTATIONS[Math.floor(rand() * MUTATIONS.length)]!;
          body = m.apply(body, rand);
          applied.push(m.name);
        }
      }
      const name = `case-${cases}`;
      const threaded = cases % 2 === 1;
      const label = `${name} (${doc.name}: ${applied.join(' + ')}${threaded ? ', read on a thread' : ''})`;
      const started = performance.now();
      let feedId: number | null = null;
      try {
        const polled = await rig.poll(
          threaded ? onThread : ctx,
          `/${name}`,
          body,
          doc.json ? 'application/feed+json' : 'application/xml',
        );
        feedId = polled.feedId;
        const { outcome } = polled;
        const key = outcome.kind === 'failed' ? `failed: ${outcome.error.code}` : outcome.kind;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      } catch (err) {
        failures.push(
          `${label}: threw ${(err as Error).stack?.split('\n').slice(0, 4).join(' | ')} — ${keep(name, body)}`,
        );
      }
      const ms = performance.now() - started;
      if (ms > slowest) [slowest, slowestCase] = [ms, label];
      timings.push([ms, label]);
      if (ms > DEADLINE_MS) failures.push(`${label}: took ${Math.round(ms)} ms — ${keep(name, body)}`);
      maxHeapMb = Math.max(maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
      if (maxHeapMb > MAX_HEAP_MB) failures.push(`${label}: heap at ${Math.round(maxHeapMb)} MB`);
      // Each case's rows go, so that the store does not grow with the run.
      if (feedId !== null) await rig.db.deleteFrom('feeds').where('id', '=', feedId).execute();
      cases++;
      if (failures.length >= 5) break;
    }
    await reads.close();

    console.log(
      `feed fuzzing: seed ${SEED}, ${cases} cases in ${SECONDS} s, slowest ${Math.round(slowest)} ms (${slowestCase}), heap at most ${Math.round(maxHeapMb)} MB; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    if (process.env.FUZZ_TIMINGS)
      console.log(
        timings
          .sort((a, b) => b[0] - a[0])
          .slice(0, 8)
          .map(([ms, l]) => `${Math.round(ms)} ms ${l}`)
          .join('\n'),
      );
    expect(cases).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
