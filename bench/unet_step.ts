/**
 * U-Net step time at a baseline preset (issue 16: the 30-shot U-Net at 64² ran 0.2–0.4 step/s, the sweep trains it at
 * every point): one training step (forward, backward, Adam) and one evaluation forward on random data, per variant.
 * `npx tsx bench/unet_step.ts [--preset cpu64] [--steps 8] [--warmup 2] [--variants base,nf16,down5] [--out F.json]
 *  [--torch --prototyping DIR --python PY]`
 * Prints JSON: seconds per step (median), steps/s, parameter count, backend, threads, load average. `--torch` times
 * the authors' U-Net (pytorch_prototyping `Unet`, same widths, 1 thread, Adam, CE) in the same run: the prototyping
 * checkout or git dir from --prototyping / SRN_PARITY_PROTOTYPING, a Python with torch from --python /
 * SRN_PARITY_PYTHON (docs/parity.md says how to get both).
 */
import { parseArgs } from 'node:util';
import { loadavg, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, describeBackend } from '../lib/backend/select';
import { baselineConfig } from '../lib/baselines/config';
import { Unet2d } from '../lib/baselines/unet2d';
import { unetArch } from '../lib/baselines/unet_train';
import { crossEntropyLoss } from '../lib/losses/losses';
import { DenseAdam } from '../lib/training/adam';
import { writeFileAtomic } from '../lib/util/atomic_write';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPython, exportSource, PROTOTYPING_COMMIT } from './parity/theirs';
import { median } from '../lib/metrics/stats';

// Their U-Net at our arch, timed like ours (median of the steps after warm-up), printed as one JSON line.
const TORCH_SCRIPT = `
import sys, time, json, statistics
sys.path.insert(0, sys.argv[1])
a = json.loads(sys.argv[2])
import torch, torch.nn as nn
torch.set_num_threads(1)
torch.manual_seed(0)
from pytorch_prototyping import Unet
net = Unet(in_channels=a['inChannels'], out_channels=a['outChannels'], nf0=a['nf0'], num_down=a['numDown'], max_channels=a['maxChannels'], use_dropout=a['dropout'] > 0, upsampling_mode='transpose', dropout_prob=a['dropout'], norm=nn.BatchNorm2d, outermost_linear=True)
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
x = torch.rand(a['batch'], a['inChannels'], a['side'], a['side'])
y = torch.randint(0, a['outChannels'], (a['batch'], a['side'], a['side']))
tr, ev = [], []
for i in range(a['warmup'] + a['steps']):
    t0 = time.perf_counter(); opt.zero_grad(); nn.functional.cross_entropy(net(x), y).backward(); opt.step()
    if i >= a['warmup']: tr.append(time.perf_counter() - t0)
net.eval()
with torch.no_grad():
    for i in range(a['warmup'] + a['steps']):
        t0 = time.perf_counter(); net(x)
        if i >= a['warmup']: ev.append(time.perf_counter() - t0)
print(json.dumps({'params': sum(p.numel() for p in net.parameters()), 'train': tr, 'eval': ev, 'torch': torch.__version__}))
`;

const VARIANTS: Record<string, (a: ReturnType<typeof unetArch>) => ReturnType<typeof unetArch>> = {
  base: (a) => a,
  nf16: (a) => ({ ...a, nf0: a.nf0 / 2, maxChannels: a.maxChannels / 2 }),
  down5: (a) => ({ ...a, numDown: a.numDown - 1 }),
  nodrop: (a) => ({ ...a, dropout: 0, fixedDropout: 0 }),
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { torch: { type: 'boolean' }, prototyping: { type: 'string' }, python: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' }, variants: { type: 'string' }, batch: { type: 'string' }, out: { type: 'string' } } });
  const preset = values.preset ?? 'cpu64';
  const steps = Number(values.steps ?? 8);
  const warmup = Number(values.warmup ?? 2);
  const names = (values.variants ?? 'base').split(',');
  for (const n of names) if (!VARIANTS[n]) throw new Error(`--variants: unknown '${n}', expected ${Object.keys(VARIANTS).join(', ')}`);
  const backend = await selectBackend({});
  const cfg = baselineConfig(preset).unet;
  const B = Number(values.batch ?? cfg.fewShot.batchSize);
  const S = cfg.side;
  const classes = 6;
  const results = [];
  for (const name of names) {
    const arch = VARIANTS[name](unetArch(cfg, classes, 0.2));
    const net = new Unet2d(arch, 0);
    const adam = new DenseAdam(net.params.trainable, cfg.fewShot.adam);
    const x = tf.randomUniform([B, S, S, arch.inChannels], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.randomUniform([B, S, S], 0, classes, 'int32', 2) as tf.Tensor3D;
    const train: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      const { value, grads } = net.params.grads(() => tf.tidy(() => crossEntropyLoss(net.apply(x, { training: true, seed: i }), y)));
      adam.apply(grads);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
      if (i >= warmup) train.push((performance.now() - t0) / 1000);
    }
    const evalT: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      const out = tf.tidy(() => net.apply(x, { training: false, seed: 0 }));
      await out.data();
      out.dispose();
      if (i >= warmup) evalT.push((performance.now() - t0) / 1000);
    }
    const params = [...net.params.trainable.values()].reduce((s, v) => s + v.size, 0);
    results.push({ variant: name, arch, batch: B, side: S, params, trainStepSeconds: median(train), trainStepsPerSecond: 1 / median(train), evalBatchSeconds: median(evalT), trainSeconds: train, loadAvg: loadavg() });
    console.error(`${name}: ${median(train).toFixed(2)} s/step (${(1 / median(train)).toFixed(2)} step/s), eval ${median(evalT).toFixed(2)} s/batch, ${params} params, load ${loadavg()[0].toFixed(2)}`);
    tf.dispose([x, y]);
    adam.dispose();
    net.dispose();
    if (values.torch) results.push(timeTheirs(name, arch, B, S, steps, warmup, values.prototyping, values.python));
  }
  const report = { bench: 'unet_step', preset, backend: describeBackend(backend), cpu: cpus()[0]?.model, steps, warmup, results, createdAt: new Date().toISOString() };
  const text = JSON.stringify(report, null, 2);
  if (values.out) writeFileAtomic(values.out, text);
  console.log(text);
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});

function timeTheirs(variant: string, arch: ReturnType<typeof unetArch>, batch: number, side: number, steps: number, warmup: number, protoArg?: string, pythonArg?: string) {
  const proto = protoArg ?? process.env.SRN_PARITY_PROTOTYPING;
  if (!proto) throw new Error('--torch: give --prototyping DIR or SRN_PARITY_PROTOTYPING (docs/parity.md)');
  const { python } = checkPython(pythonArg ?? process.env.SRN_PARITY_PYTHON);
  const dir = mkdtempSync(join(tmpdir(), 'unet-step-theirs-'));
  try {
    const src = exportSource(proto, PROTOTYPING_COMMIT, dir, 'pytorch_prototyping.py', 'pytorch_prototyping (--prototyping / SRN_PARITY_PROTOTYPING)');
    const r = spawnSync(python, ['-c', TORCH_SCRIPT, dir, JSON.stringify({ ...arch, batch, side, steps, warmup })], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`--torch: their U-Net failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { params: number; train: number[]; eval: number[]; torch: string };
    console.error(`${variant} (theirs, torch ${out.torch}): ${median(out.train).toFixed(2)} s/step, eval ${median(out.eval).toFixed(2)} s/batch, ${out.params} params`);
    return { variant: `${variant} (theirs)`, code: src.commit, torch: out.torch, batch, side, params: out.params, trainStepSeconds: median(out.train), trainStepsPerSecond: 1 / median(out.train), evalBatchSeconds: median(out.eval), trainSeconds: out.train, loadAvg: loadavg() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
