/* eslint-disable @typescript-eslint/no-explicit-any -- the Migrator works on any schema */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/**
 * Kysely's FileMigrationProvider imports from inside node_modules, where no TypeScript loader
 * (tsx, vitest) reaches; importing from here lets whichever runs this module load the .ts files.
 */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(MIGRATIONS_FOLDER)).filter((f) => /^\d{8}_\d{6}_[\w-]+\.(ts|js)$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      migrations[file.replace(/\.(ts|js)$/, '')] = (await import(
        pathToFileURL(path.join(MIGRATIONS_FOLDER, file)).href
      )) as Migration;
    }
    return migrations;
  }
}

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider() });
}

/** Applies every pending migration; the Migrator's lock makes concurrent starts safe. Returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? '');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${cause}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every migration in the folder has been applied (readiness). */
export async function migrationsAreCurrent(db: Kysely<any>): Promise<boolean> {
  const migrations = await migrator(db).getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}
