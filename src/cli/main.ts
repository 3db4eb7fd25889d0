import { loadEnvFile } from '../config.js';
import { runCli } from './run.js';

/** The CLI program (`npm run cli -- <command>`): .env, then one command, its exit code. */
loadEnvFile();
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
