import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, loadEnvFile } from '../../src/config.js';

describe('settings', () => {
  const keys = ['TOPICWIRE_TEST_FROM_FILE', 'TOPICWIRE_TEST_SET_BOTH'];
  afterEach(() => keys.forEach((k) => delete process.env[k]));

  it('when a .env file exists, then its values are read, and variables already set win', () => {
    const file = path.join(tmpdir(), `topicwire-${process.pid}.env`);
    writeFileSync(file, 'TOPICWIRE_TEST_FROM_FILE=file\nTOPICWIRE_TEST_SET_BOTH=file\n');
    process.env.TOPICWIRE_TEST_SET_BOTH = 'environment';
    try {
      loadEnvFile(file);
    } finally {
      rmSync(file, { force: true });
    }
    expect(process.env.TOPICWIRE_TEST_FROM_FILE).toBe('file');
    expect(process.env.TOPICWIRE_TEST_SET_BOTH).toBe('environment');
    expect(() => loadEnvFile(path.join(tmpdir(), 'no-such-topicwire.env'))).not.toThrow();
  });

  it('when nothing is set, then the API listens on 127.0.0.1 only; an invalid value is named', () => {
    expect(loadConfig({})).toMatchObject({ HOST: '127.0.0.1', PORT: 3000, LOG_FORMAT: 'auto', JOB_RETRY_MS: 10_000 });
    expect(() => loadConfig({ PORT: '70000', LOG_FORMAT: 'xml' })).toThrow(/PORT: .*; LOG_FORMAT: /);
  });

  it('when a Redis Cluster is named, then its nodes are read and the queue prefix becomes a hash tag', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' });
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(config.QUEUE_PREFIX).toBe('{topicwire}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PREFIX: 'tw:{eu}' }).QUEUE_PREFIX).toBe('tw:{eu}');
    expect(loadConfig({}).QUEUE_PREFIX).toBe('topicwire');
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'no-port' })).toThrow(
      /REDIS_CLUSTER_NODES: comma-separated host:port/,
    );
  });
});
