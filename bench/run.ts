import os from 'node:os';
import { feedToTopicLatency } from './latency.js';

/** `npm run bench`: every benchmark, printing its figures and the machine it ran on. */
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${new Date().toISOString()}`);
const latency = await feedToTopicLatency(100, 5);
console.log(`feed added → all ${latency.items} items tagged and the topic feed serving them: median ${latency.medianMs} ms (runs: ${latency.runsMs.join(', ')} ms)`);
