/** Worker thread of `generateSplit`: renders and writes the instances the main thread hands it. */
import { parentPort, workerData } from 'node:worker_threads';
import { writeInstance, type WorkerJob } from './generate';

const job = workerData as WorkerJob;
const port = parentPort;
if (!port) throw new Error('lib/data/synthetic/worker.ts must run in a worker thread');
port.on('message', (msg: { index?: number; exit?: true }) => {
  if (msg.exit) {
    port.close();
    return;
  }
  const index = msg.index as number;
  try {
    writeInstance(job.root, { seed: job.seed, className: job.className, split: job.split, index, views: job.views, resolution: job.resolution }, job.durable);
    port.postMessage({ done: index });
  } catch (e) {
    port.postMessage({ error: `instance ${index}: ${(e as Error).stack ?? String(e)}` });
  }
});
port.postMessage({ ready: true });
