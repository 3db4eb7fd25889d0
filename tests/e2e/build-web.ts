import { build } from 'vite';
import { REPO_ROOT } from '../helpers/paths.js';

/** The browser tests run against the web app as built now (dist/web), not an older build. */
export default async function setup(): Promise<void> {
  await build({ configFile: `${REPO_ROOT}/web/vite.config.ts`, logLevel: 'warn' });
}
