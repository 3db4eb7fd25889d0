import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

/** A free TCP port on 127.0.0.1, as the OS hands one out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Redis of the test's own, on a free port, keeping nothing on disk: tests that flush or
 * restart Redis use this one, never the shared instance.
 */
export class OwnRedis {
  private process: ChildProcess | null = null;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it; a restart keeps its port (clients reconnect to the same address). */
  async start(): Promise<this> {
    const args = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    if (!this.port) {
      ({ child: this.process, port: this.port } = await redisOnFreePort(args));
      return this;
    }
    this.process = spawn('redis-server', args(this.port), { stdio: 'ignore' });
    await waitForRedis(this.url);
    return this;
  }

  /** Everything it holds gone, as after a restart without persistence. */
  async flush(): Promise<void> {
    const client = new Redis(this.url);
    await client.flushall();
    client.disconnect();
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * A Redis Cluster of the test's own: three master nodes on free ports (no replicas), joined with
 * `redis-cli --cluster create`, their node files in a temporary folder.
 */
export class OwnRedisCluster {
  private readonly nodes: ChildProcess[] = [];
  readonly ports: number[] = [];
  private dir = '';

  /** The REDIS_CLUSTER_NODES setting that reaches it. */
  get nodeList(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(size = 3): Promise<this> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'topicwire-cluster-'));
    for (let i = 0; i < size; i++) {
      // prettier-ignore
      const { child, port } = await redisOnFreePort((port) => [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
        '--dir', this.dir,
      ]);
      this.ports.push(port);
      this.nodes.push(child);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node must agree that all slots are served before a client can rely on it.
    for (const port of this.ports) {
      const client = new Redis(port, '127.0.0.1');
      try {
        const deadline = Date.now() + 20_000;
        while (!String(await client.cluster('INFO')).includes('cluster_state:ok')) {
          if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} never reached cluster_state:ok`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        client.disconnect();
      }
    }
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A redis-server on a port free a moment ago: when another process took it meanwhile (the tests
 * run in parallel), the server exits at once and another port is tried.
 */
async function redisOnFreePort(args: (port: number) => string[]): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', args(port), { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitForRedis(`redis://127.0.0.1:${port}`, exited);
      return { child, port };
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt === 5) throw err;
    }
  }
}

async function waitForRedis(url: string, exited?: Promise<void>): Promise<void> {
  let gone = false;
  void exited?.then(() => (gone = true));
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // refused until the server is up: expected, retried below
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch {
      client.disconnect();
      if (gone) throw new Error(`redis-server exited at ${url} (its port taken?)`);
      if (Date.now() > deadline) throw new Error(`redis-server did not start at ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Runs a command to its end (as another user when `as` says so); rejects with its output. */
function run(command: string, args: string[], as: { uid?: number; gid?: number } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, ...as }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(),
    );
  });
}

/** The newest PostgreSQL server binaries of the machine (Debian keeps them per version). */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(path.join('/usr/lib/postgresql', v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  return path.join('/usr/lib/postgresql', versions[0], 'bin');
}

/**
 * A PostgreSQL of the test's own: initdb into a temporary folder, a free port, trust for the
 * "postgres" user, no fsync (a test's data need not survive the machine). Tests that restart or
 * stop PostgreSQL use this one, never the shared server. As root, the server runs as the
 * "postgres" system user (PostgreSQL refuses to run as root).
 */
export class OwnPostgres {
  private process: ChildProcess | null = null;
  private dir = '';
  port = 0;
  /** What the server wrote to its log, for a failing test to show. */
  log = '';

  /** The URL of a database on this server ("postgres" by default). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private get owner(): { uid: number; gid: number } | Record<string, never> {
    if (process.getuid?.() !== 0) return {};
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('postgres:'));
    if (!entry) throw new Error('running as root without a "postgres" system user to run PostgreSQL as');
    const [, , uid, gid] = entry.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  }

  async start(): Promise<this> {
    const bin = postgresBin();
    if (!this.dir) {
      this.dir = await mkdtemp(path.join(tmpdir(), 'topicwire-pg-'));
      const owner = this.owner;
      if ('uid' in owner) await chown(this.dir, owner.uid, owner.gid);
      await run(
        path.join(bin, 'initdb'),
        ['-D', path.join(this.dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        owner,
      );
      this.port = await freePort();
    }
    const child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        path.join(this.dir, 'data'),
        '-p',
        String(this.port),
        '-h',
        '127.0.0.1',
        '-k',
        this.dir,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], ...this.owner },
    );
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.log = (this.log + chunk).slice(-20_000)));
    this.process = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`PostgreSQL exited at start:\n${this.log}`);
        const client = new pg.Client({ connectionString: this.url() });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => {});
        }
      },
      30_000,
      'PostgreSQL to accept connections',
    );
    return this;
  }

  /** Stops the server: "fast" ends sessions and shuts down cleanly, "immediate" as if it crashed. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    });
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Stops the server and removes its files. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
