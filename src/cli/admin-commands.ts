import { readFile, writeFile } from 'node:fs/promises';
import type { AppContext } from '../app/context.js';
import { addFeed, listFeeds, removeFeed } from '../app/feeds.js';
import { exportOpml, importOpml } from '../app/opml.js';
import { createTopic, getTopic, listTopics, removeTopic, retagTopic } from '../app/topics.js';
import { OPERATOR } from '../app/access.js';
import { createToken, listTokens, revokeToken } from '../app/tokens.js';

/**
 * The operator's commands beside the service: thin adapters over the same use cases as the API
 * (src/app), so that both accept and refuse the same things. They work on the database; follow-up
 * jobs (re-tagging a new topic, grouping a new feed's items) go to Redis for the service's workers.
 */
export interface CliContext extends AppContext {
  out: (line: string) => void;
}

/** A mistake in how a command was called: its usage, exit code 2. */
export class UsageError extends Error {}

export async function feedsCommand([action = 'list', ...args]: string[], ctx: CliContext): Promise<number> {
  const { out } = ctx;
  if (action === 'list' && args.length === 0) {
    for (const f of await listFeeds(ctx)) out([f.id, f.status, f.url, f.title, f.last_error ?? ''].join('\t'));
    return 0;
  }
  const force = args.includes('--force');
  const rest = args.filter((a) => a !== '--force');
  if (action === 'add' && rest.length === 1) {
    const added = await addFeed(ctx, { url: rest[0], force });
    if (!added.created) {
      out(`already subscribed as feed ${added.feed.id}: ${added.feed.url}`);
      return 0;
    }
    const via = added.discoveredFrom ? ` (advertised by ${added.discoveredFrom})` : '';
    const poll = added.firstPoll;
    out(
      poll.kind === 'stored'
        ? `added feed ${added.feed.id}: ${added.feed.url}${via}; first poll stored ${poll.inserted} items`
        : poll.kind === 'failed'
          ? `added feed ${added.feed.id}: ${added.feed.url}${via}; first poll failed (${poll.error.code}: ${poll.error.message}), retried later`
          : `added feed ${added.feed.id}: ${added.feed.url}${via}`,
    );
    return 0;
  }
  if (action === 'remove' && rest.length === 1) {
    await removeFeed(ctx, rest[0]);
    out(`removed feed ${rest[0]} and its items`);
    return 0;
  }
  throw new UsageError('usage: feeds [list] | feeds add <url> [--force] | feeds remove <id>');
}

export async function topicsCommand([action = 'list', ...args]: string[], ctx: CliContext): Promise<number> {
  const { out } = ctx;
  if (action === 'list' && args.length === 0) {
    for (const t of await listTopics(ctx, OPERATOR)) {
      out([t.slug, t.name, t.rule, t.visibility, `retag ${t.retag_status} (${t.retagged_items} items)`].join('\t'));
    }
    return 0;
  }
  const positional = args.filter((a) => a !== '--private');
  if (action === 'add' && positional.length === 3 && args.length - positional.length <= 1) {
    const [slug, name, rule] = positional;
    const visibility = args.includes('--private') ? 'private' : 'public';
    const topic = await createTopic(ctx, { slug, name, rule, visibility });
    out(
      `added ${visibility} topic ${topic.slug}; the service's workers tag the stored items (or: npm run cli -- retag ${topic.slug})`,
    );
    if (visibility === 'private') out(`feed key (for …/topics/${topic.slug}/feed.atom?key=…): ${topic.feed_key}`);
    return 0;
  }
  if (action === 'remove' && args.length === 1) {
    await removeTopic(ctx, args[0]!);
    out(`removed topic ${args[0]}`);
    return 0;
  }
  throw new UsageError('usage: topics [list] | topics add <slug> <name> <rule> [--private] | topics remove <slug>');
}

export async function opmlCommand([action, file, ...rest]: string[], ctx: CliContext): Promise<number> {
  const { out } = ctx;
  if (action === 'import' && file && rest.length === 0) {
    const result = await importOpml(ctx, await readFile(file, 'utf8'));
    for (const a of result.added) out(`added\t${a.id}\t${a.url}`);
    for (const s of result.skipped) out(`skipped\t${s.url}\t${s.reason}`);
    for (const r of result.refused) out(`refused\t${r.url}\t${r.reason}`);
    out(`${result.added.length} added, ${result.skipped.length} skipped, ${result.refused.length} refused`);
    return 0;
  }
  if (action === 'export' && rest.length === 0) {
    // The operator's own export: feed URLs as stored, credentials included, to move them elsewhere.
    const opml = await exportOpml(ctx, { maskSecrets: false });
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

const TOKENS_USAGE =
  'usage: tokens [list] | tokens create <name> [--scopes read,write,admin] [--expires <date-time>] | tokens revoke <id>';

/** API tokens: the secret of a new one is printed once; only its hash is stored. */
export async function tokensCommand([action = 'list', ...args]: string[], ctx: CliContext): Promise<number> {
  const { out } = ctx;
  if (action === 'list' && args.length === 0) {
    for (const t of await listTokens(ctx)) {
      const state = t.revoked_at ? 'revoked' : t.expires_at && t.expires_at <= new Date() ? 'expired' : 'live';
      const used = t.last_used_at ? `used ${t.last_used_at.toISOString()}` : 'never used';
      const expires = t.expires_at ? `expires ${t.expires_at.toISOString()}` : 'no expiry';
      out([t.id, t.name, t.scopes.join(','), state, expires, used].join('\t'));
    }
    return 0;
  }
  if (action === 'create') {
    const [name, ...options] = args;
    const option = (flag: string) => {
      const at = options.indexOf(flag);
      return at >= 0 ? options[at + 1] : undefined;
    };
    const known = new Set(['--scopes', '--expires']);
    const flags = options.filter((_, i) => i % 2 === 0);
    if (!name || options.length % 2 !== 0 || flags.some((f) => !known.has(f))) throw new UsageError(TOKENS_USAGE);
    const scopes = option('--scopes')
      ?.split(',')
      .map((s) => s.trim());
    const { token, secret } = await createToken(ctx, { name, scopes, expiresAt: option('--expires') });
    out(`created token ${token.id} "${token.name}" (${token.scopes.join(', ')}); its secret, shown this once:`);
    out(secret);
    return 0;
  }
  if (action === 'revoke' && args.length === 1) {
    await revokeToken(ctx, args[0]);
    out(`revoked token ${args[0]}`);
    return 0;
  }
  throw new UsageError(TOKENS_USAGE);
}

/** Applies a topic's rule to the stored items of the re-tag window now, in this process, with progress. */
export async function retagCommand(args: string[], ctx: CliContext): Promise<number> {
  if (args.length !== 1) throw new UsageError('usage: retag <slug>');
  const { out, config } = ctx;
  const topic = await getTopic(ctx, args[0]!, OPERATOR);
  const started = Date.now();
  const items = await retagTopic(ctx, { topicId: topic.id, version: topic.version, everyItem: true }, (done) =>
    out(`  ${done} items examined`),
  );
  out(
    `re-tagged ${topic.slug}: ${items} items of the last ${config.RETAG_WINDOW_DAYS} days in ${Date.now() - started} ms`,
  );
  return 0;
}
