import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

function isCidr(text: string): boolean {
  if (ipaddr.isValid(text)) return true;
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

// host:port, an IPv6 address in brackets ([::1]:7000).
const CLUSTER_NODE = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no', '']).transform((v) => ['true', '1', 'yes'].includes(v));
const int = (min: number) => z.coerce.number().int().min(min);
/** "a, b,c" as ['a', 'b', 'c']; unset or empty as []. */
const commaList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );

/** Every setting, with its default: the only reader of process.env. */
const schema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/topicwire'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  // A Redis Cluster instead of one server: some of its nodes as "host:port,host:port" (the rest
  // are discovered). REDIS_URL is then unused.
  REDIS_CLUSTER_NODES: commaList
    .refine((nodes) => nodes.every((n) => CLUSTER_NODE.test(n)), 'comma-separated host:port pairs')
    .transform((nodes) =>
      nodes.map((n) => {
        const [, bracketed, host, port] = CLUSTER_NODE.exec(n)!;
        return { host: bracketed ?? host!, port: Number(port) };
      }),
    ),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0).max(65535).default(3000),
  ROLE: z.enum(['all', 'api', 'worker', 'scheduler']).default('all'),
  API_TOKEN: z.string().default(''),
  PUBLIC_URL: z.string().url().optional(),
  FETCH_ALLOW_PRIVATE: bool.default(false),
  FETCH_ALLOW_ADDRESSES: commaList.refine(
    (list) => list.every((c) => isCidr(c)),
    'comma-separated addresses or CIDR ranges',
  ),
  RETENTION_DAYS: int(0).default(0),
  RETAG_WINDOW_DAYS: z.coerce.number().positive().default(30),
  STORY_WINDOW_HOURS: z.coerce.number().positive().default(72),
  // Fingerprints a worker keeps for near-duplicate lookups (~70 bytes each); 0: look them up in PostgreSQL.
  STORY_INDEX_ITEMS: int(0).default(500_000),
  WEBSUB_RETRY_MS: int(100).default(30_000),
  WEBHOOK_RETRY_MS: int(100).default(30_000),
  // Failed attempts in a row after which a webhook is disabled (its reason shown on it).
  WEBHOOK_MAX_FAILURES: int(1).default(10),
  // Live streams: a comment this often keeps proxies from closing them; new stories are looked
  // for this often; at most this many open at once per API process.
  STREAM_HEARTBEAT_MS: int(100).default(15_000),
  STREAM_POLL_MS: int(50).default(1000),
  STREAM_MAX: int(0).default(1000),
  JOB_RETRY_MS: int(10).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  QUEUE_PREFIX: z.string().min(1).default('topicwire'),
  // Memory for answers of public reads, served again while the stored data is unchanged; 0: none.
  API_CACHE_MB: z.coerce.number().min(0).default(64),
  // Text searches each API process runs at once (each holds a database connection and a core of
  // PostgreSQL's; by default half this machine's cores), how many may wait for a turn (the others
  // get 503), and how long one may run or wait.
  SEARCH_CONCURRENCY: int(1).default(Math.max(1, Math.floor(availableParallelism() / 2))),
  SEARCH_QUEUE: int(0).default(64),
  SEARCH_TIMEOUT_MS: int(100).default(5000),
  // Requests a client (a token, else an address) may make, shared by every API process (Redis):
  // reads, writes and text searches a minute, WebSub subscription requests an hour, failed
  // authentications a minute per address. 0 turns one off.
  RATE_LIMIT_READS: int(0).default(1200),
  RATE_LIMIT_WRITES: int(0).default(120),
  RATE_LIMIT_SEARCHES: int(0).default(60),
  RATE_LIMIT_WEBSUB: int(0).default(30),
  RATE_LIMIT_AUTH_FAILURES: int(0).default(30),
  // Origins whose pages may call the API (CORS): "*" for any, or a comma-separated list; none by default.
  CORS_ORIGINS: commaList,
  // Which proxies' X-Forwarded-For to believe for the client address (Express "trust proxy"):
  // loopback (a proxy on this machine), true, false, a number of hops, or addresses/CIDRs.
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((v): boolean | number | string =>
      v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
    ),
  WORKER_CONCURRENCY: int(1).default(8),
  // Threads of a worker process that read fetched feeds (decode, parse, normalize: a quarter of
  // its CPU an item), so that the process uses more than one core and a large feed being parsed
  // does not hold up its other polls. 0: read on the process's own thread.
  READ_THREADS: int(0).default(Math.min(4, Math.max(1, availableParallelism() - 1))),
  // How often the scheduler asks which feeds are due: a due feed waits at most this long for its
  // poll to be queued (three short statements a tick).
  SCHEDULER_EVERY_MS: int(200).default(500),
  POLL_INTERVAL_SECONDS: int(10).default(900),
  POLL_MIN_SECONDS: int(10).default(300),
  POLL_MAX_SECONDS: int(10).default(86400),
  DISABLE_AFTER_FAILURES: int(1).default(10),
  DISABLE_AFTER_DAYS: z.coerce.number().min(0).default(3),
  POLL_BATCH: int(1).default(200),
  FETCH_TIMEOUT_MS: int(100).default(30000),
  FETCH_CONNECT_TIMEOUT_MS: int(100).default(10000),
  FETCH_MAX_BYTES: int(1024).default(10 * 1024 * 1024),
  FETCH_MAX_REDIRECTS: int(0).default(5),
  HOST_CONCURRENCY: int(1).default(2),
  HOST_SPACING_MS: int(0).default(2000),
});

export type Config = Readonly<z.infer<typeof schema>>;

/**
 * Reads `.env` from the working directory into the environment when there is one (the service
 * and the CLI both call it first). Variables already set win over the file.
 */
export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Reads and validates the environment once; every invalid key is named in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return Object.freeze(hashTagged(result.data));
}

/**
 * On a Redis Cluster every key of a BullMQ queue must live in one hash slot, so the prefix must be
 * a hash tag ("{topicwire}"): a prefix without one is wrapped in braces.
 */
function hashTagged<C extends { REDIS_CLUSTER_NODES: unknown[]; QUEUE_PREFIX: string }>(config: C): C {
  if (config.REDIS_CLUSTER_NODES.length === 0 || /\{[^}]+\}/.test(config.QUEUE_PREFIX)) return config;
  return { ...config, QUEUE_PREFIX: `{${config.QUEUE_PREFIX}}` };
}
