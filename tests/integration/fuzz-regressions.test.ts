import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic } from '../../src/app/topics.js';
import { loadConfig } from '../../src/config.js';
import { MAX_NESTING } from '../../src/pipeline/html.js';
import { appContext } from '../helpers/app-context.js';
import { startPollRig, type PollRig } from '../helpers/poll-rig.js';
import { FUZZ_FIXTURES } from '../fuzz/paths.js';

// Far above what any of these takes now, far below what they took before their fixes.
const POLL_DEADLINE_MS = 5000;

/** How deep the elements of stored HTML nest (sanitized HTML: every element closed). */
function nestingOf(html: string): number {
  let depth = 0;
  let most = 0;
  for (const [tag, close] of html.matchAll(/<(\/?)[a-z][^>]*>/g)) {
    if (close) depth--;
    else if (!tag.endsWith('/>') && !/^<(br|img|hr|source|wbr)\b/.test(tag)) most = Math.max(most, ++depth);
  }
  return most;
}

// Every input the fuzzer found a bug with (tests/fixtures/fuzz), polled as a worker polls it:
// it must end stored, or as the feed's own failure, never as an error of ours.
describe('inputs that once found bugs', () => {
  let rig: PollRig;
  beforeAll(async () => {
    rig = await startPollRig(`fuzz-regressions-${process.pid}`);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const files = readdirSync(FUZZ_FIXTURES).filter((f) => !f.startsWith('.'));

  it.each(files)(
    'when %s is polled, then it is stored or refused as the feed, and no NUL or deep nesting reaches the store',
    async (file) => {
      const raw = readFileSync(path.join(FUZZ_FIXTURES, file));
      const body = file.endsWith('.gz') ? gunzipSync(raw) : raw;
      const ctx = appContext(
        rig.db,
        loadConfig({ DATABASE_URL: 'postgres://unused/db', FETCH_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent' }),
      );
      await createTopic(ctx, { slug: `t-${files.indexOf(file)}`, name: 'Korea', rule: 'korea OR deep' }).catch(
        () => {},
      );
      const started = performance.now();
      const { feedId, outcome } = await rig.poll(
        ctx,
        `/${file}`,
        body,
        file.includes('json') ? 'application/feed+json' : 'application/xml',
      );
      expect(['stored', 'failed']).toContain(outcome.kind);
      // Each took 7-25 s of CPU before its fix, and under half a second after.
      expect(performance.now() - started).toBeLessThan(POLL_DEADLINE_MS);
      const items = await rig.db
        .selectFrom('items')
        .select(['guid', 'title', 'summary', 'content_text', 'content_html'])
        .where('feed_id', '=', feedId)
        .execute();
      for (const item of items) {
        expect(JSON.stringify(item)).not.toContain('\\u0000');
        expect(nestingOf(item.content_html)).toBeLessThanOrEqual(MAX_NESTING);
      }
    },
  );
});
