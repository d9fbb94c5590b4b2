/**
 * Child process for the kill tests: pre-trains the tiny config for `steps` steps with a checkpoint every
 * `every` steps into `dir` (resuming what is there), then prints `done <step>`. Run with
 * SRN_FAULT_KILL_AT=<point>@<n> to be SIGKILLed inside the n-th pass through a checkpoint write.
 *   node --import tsx test/faults/child_pretrain.ts <dir> <steps> <every>
 */
import { useBackend } from '../helpers/tf';
import { SrnModel } from '../../lib/srn';
import { findCheckpoint, memorySource, pretrain } from '../../lib/training';
import { quiet, tinyConfig, tinyViews } from './fixtures';

async function main(): Promise<void> {
  const [dir, steps, every] = process.argv.slice(2);
  await useBackend('cpu');
  const cfg = tinyConfig(Number(steps));
  const model = new SrnModel(cfg.model, { numInstances: 2 });
  const res = await pretrain(cfg, model, memorySource(tinyViews()), { ...quiet, checkpoint: { dir, every: Number(every) }, resumeFrom: findCheckpoint(dir) });
  res.adam?.dispose();
  console.log(`done ${res.step}`);
}

void main();
