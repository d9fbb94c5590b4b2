/**
 * Child process for the U-Net kill test: trains a tiny U-Net for `steps` steps, validating (and saving its training)
 * every step into `dir` (resuming what is there), then prints `done <steps> <val mIOUs> <weights' sum>`. Run with
 * SRN_FAULT_KILL_AT=<point>@<n> to be SIGKILLed inside the n-th pass through a save.
 *   node --import tsx test/faults/child_unet.ts <dir> <steps>
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/tf';
import { baselineConfig } from '../../lib/baselines/config';
import { disposeRecord } from '../../lib/baselines/layers';
import { Unet2d } from '../../lib/baselines/unet2d';
import { memoryImageSet, trainUnet2d, unetArch } from '../../lib/baselines/unet_train';
import { NetTrainCheckpoint } from '../../lib/baselines/net_train_checkpoint';
import { Rng } from '../../lib/util/random';

async function main(): Promise<void> {
  const [dir, steps] = process.argv.slice(2);
  await useBackend('cpu');
  const S = 16;
  const rng = Rng.derive(3, 'child-unet');
  const images = Array.from({ length: 4 }, (_, b) => ({ rgba: rng.uniformArray(S * S * 4, -1, 1), labels: new Int32Array(S * S).map((_, p) => ((p % S) + b) % 3) }));
  const cfg = baselineConfig('tiny').unet;
  const net = new Unet2d(unetArch(cfg, 3, 0.2), 1);
  const set = memoryImageSet(images, S);
  const r = await trainUnet2d(net, { ...cfg.oracle, steps: Number(steps), batchSize: 2, evalEvery: 1, patience: 100 }, set, set, 3, 2, { checkpoint: new NetTrainCheckpoint(dir, 'child') });
  const w = net.params.snapshot();
  const sum = Object.values(w).reduce((a, t) => a + tf.sum(t).dataSync()[0], 0);
  disposeRecord(w);
  console.log(`done ${r.steps} ${r.validation.map(([, m]) => m.toFixed(6)).join(',')} ${sum.toFixed(6)}`);
}

void main();
