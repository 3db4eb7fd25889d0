import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Migrates one template database per test run; each test file then clones it
 * (CREATE DATABASE … TEMPLATE), so files never see each other's rows and runs never collide.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `topicwire_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${template}`;
  const db = createDb(url.href, 2);
  await migrateToLatest(db);
  await db.destroy();
  project.provide('templateDb', template);
  project.provide('adminUrl', ADMIN_URL);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
    adminUrl: string;
  }
}
