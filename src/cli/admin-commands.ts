import { readFile, writeFile } from 'node:fs/promises';
import { exportOpml, importOpml } from '../admin/opml-transfer.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { deleteFeed, insertFeed, listFeeds } from '../db/feeds.repository.js';
import { createTopic, deleteTopic, getTopicBySlug, listTopics } from '../db/topics.repository.js';
import { addressPolicy } from '../fetch-options.js';
import type { Logger } from '../logger.js';
import { acceptableUrl } from '../pipeline/address-guard.js';
import { FeedError } from '../pipeline/types.js';
import { parseRule, RuleSyntaxError } from '../rules/parse.js';
import { retagTopic } from '../workers/retag-topic.job.js';

/**
 * The operator's commands beside the service (design §2): they work on the database directly, so
 * they need no running service; a running one sees their changes (new feeds are due at once, its
 * workers recompile the rules when they change).
 */
export interface CliContext {
  db: Db;
  config: Config;
  log: Logger;
  out: (line: string) => void;
}

/** A mistake of the operator's: printed as one line, exit code 1. */
export class UsageError extends Error {}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export async function feedsCommand(
  [action = 'list', ...args]: string[],
  { db, config, out }: CliContext,
): Promise<number> {
  if (action === 'list') {
    for (const f of await listFeeds(db)) out([f.id, f.status, f.url, f.title, f.last_error ?? ''].join('\t'));
    return 0;
  }
  if (action === 'add' && args.length === 1) {
    let url: URL;
    try {
      url = await acceptableUrl(args[0]!, addressPolicy(config));
    } catch (err) {
      if (err instanceof FeedError) throw new UsageError(err.message);
      throw err;
    }
    const { feed, created } = await insertFeed(db, url.href, config.POLL_INTERVAL_SECONDS);
    out(
      created
        ? `added feed ${feed.id}: ${feed.url} (polled by the service's next tick)`
        : `already subscribed as feed ${feed.id}`,
    );
    return 0;
  }
  if (action === 'remove' && args.length === 1 && /^\d+$/.test(args[0]!)) {
    if (!(await deleteFeed(db, Number(args[0])))) throw new UsageError(`no feed ${args[0]}`);
    out(`removed feed ${args[0]} and its items`);
    return 0;
  }
  throw new UsageError('usage: feeds [list] | feeds add <url> | feeds remove <id>');
}

export async function topicsCommand([action = 'list', ...args]: string[], ctx: CliContext): Promise<number> {
  const { db, out } = ctx;
  if (action === 'list') {
    for (const t of await listTopics(db))
      out([t.slug, t.name, t.rule, `retag ${t.retag_status} (${t.retagged_items} items)`].join('\t'));
    return 0;
  }
  if (action === 'add' && args.length === 3) {
    const [slug, name, rule] = args as [string, string, string];
    if (!SLUG.test(slug)) throw new UsageError(`slug "${slug}": lower-case letters, digits and "-", at most 63`);
    try {
      parseRule(rule);
    } catch (err) {
      if (err instanceof RuleSyntaxError) throw new UsageError(`rule: ${err.message}`);
      throw err;
    }
    const topic = await createTopic(db, { slug, name, rule });
    if (!topic) throw new UsageError(`topic "${slug}" exists already`);
    out(`added topic ${slug}; tagging the stored items…`);
    return retagCommand([slug], ctx);
  }
  if (action === 'remove' && args.length === 1) {
    if (!(await deleteTopic(db, args[0]!))) throw new UsageError(`no topic "${args[0]}"`);
    out(`removed topic ${args[0]}`);
    return 0;
  }
  throw new UsageError('usage: topics [list] | topics add <slug> <name> <rule> | topics remove <slug>');
}

export async function opmlCommand([action, file, ...rest]: string[], { db, config, out }: CliContext): Promise<number> {
  if (action === 'import' && file && rest.length === 0) {
    let result;
    try {
      result = await importOpml(db, config, await readFile(file, 'utf8'));
    } catch (err) {
      if (err instanceof FeedError || (err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new UsageError(`${file}: ${(err as Error).message}`);
      throw err;
    }
    for (const a of result.added) out(`added\t${a.id}\t${a.url}`);
    for (const s of result.skipped) out(`skipped\t${s.url}\t${s.reason}`);
    for (const r of result.refused) out(`refused\t${r.url}\t${r.reason}`);
    out(`${result.added.length} added, ${result.skipped.length} skipped, ${result.refused.length} refused`);
    return 0;
  }
  if (action === 'export' && rest.length === 0) {
    const opml = await exportOpml(db);
    if (file) {
      await writeFile(file, opml);
      out(`wrote ${file}`);
    } else {
      out(opml.trimEnd());
    }
    return 0;
  }
  throw new UsageError('usage: opml import <file> | opml export [file]');
}

/** Applies a topic's rule to the stored items of the re-tag window now, in this process, with progress. */
export async function retagCommand(args: string[], { db, config, log, out }: CliContext): Promise<number> {
  if (args.length !== 1) throw new UsageError('usage: retag <slug>');
  const topic = await getTopicBySlug(db, args[0]!);
  if (!topic) throw new UsageError(`no topic "${args[0]}"`);
  const started = Date.now();
  await retagTopic({ topicId: topic.id, version: topic.version }, { db, config, log }, (done) =>
    out(`  ${done} items examined`),
  );
  const after = await getTopicBySlug(db, topic.slug);
  out(
    `re-tagged ${topic.slug}: ${after?.retagged_items ?? 0} items of the last ${config.RETAG_WINDOW_DAYS} days in ${Date.now() - started} ms`,
  );
  return 0;
}
