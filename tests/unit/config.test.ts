import { writeFileSync } from 'node:fs';
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
    loadEnvFile(file);
    expect(process.env.TOPICWIRE_TEST_FROM_FILE).toBe('file');
    expect(process.env.TOPICWIRE_TEST_SET_BOTH).toBe('environment');
    expect(() => loadEnvFile(path.join(tmpdir(), 'no-such-topicwire.env'))).not.toThrow();
  });

  it('when nothing is set, then the API listens on 127.0.0.1 only; an invalid value is named', () => {
    expect(loadConfig({})).toMatchObject({ HOST: '127.0.0.1', PORT: 3000, LOG_FORMAT: 'auto', JOB_RETRY_MS: 10_000 });
    expect(() => loadConfig({ PORT: '70000', LOG_FORMAT: 'xml' })).toThrow(/PORT: .*; LOG_FORMAT: /);
  });
});
