import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

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

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
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
      const port = await freePort();
      this.ports.push(port);
      // prettier-ignore
      this.nodes.push(spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
        '--dir', this.dir,
      ], { stdio: 'ignore' }));
    }
    for (const port of this.ports) await waitForRedis(`redis://127.0.0.1:${port}`);
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

async function waitForRedis(url: string): Promise<void> {
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
      if (Date.now() > deadline) throw new Error(`redis-server did not start at ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(),
    );
  });
}
