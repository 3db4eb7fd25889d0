import { parseCommand } from './parse-command.js';

const [command, ...args] = process.argv.slice(2);
const commands: Record<string, () => Promise<number>> = {
  parse: () => parseCommand(args, async () => { throw new Error('fetching not wired yet'); }),
};
const run = commands[command ?? ''];
if (!run) {
  process.stderr.write(`usage: cli <${Object.keys(commands).join('|')}> …\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await run();
}
