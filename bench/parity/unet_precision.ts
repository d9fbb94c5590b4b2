/**
 * `npx tsx bench/parity/unet_precision.ts --fixture DIR --reference DIR [--backend node|wasm|cpu]`: the precision of our
 * U-Net head's backward against PyTorch's. DIR is an authors'-weights fixture (bench/parity/authors_fixture.py), the
 * reference what bench/parity/unet_precision.py wrote from it: their class generator's cross-entropy gradients on the
 * fixture's features in float32, in float64, and in float64 on features moved by one float32 ulp. Prints, per
 * parameter (input side first), the norm-relative error of ours and of PyTorch's float32 against float64, ours against
 * PyTorch's float32, and how far the ulp moves float64's, as JSON.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, parseBackendChoice, selectBackend } from '../../lib/backend/select';
import { npyToFloat64, readNpy } from '../../lib/io/npy';
import { crossEntropyLoss } from '../../lib/losses/losses';
import { authorsModel, toAuthorsLayout } from '../../lib/training/authors_weights';
import { fixtureLabels, fixtureNpy, fixtureSource, maxAbsDiff, ourForward } from './authors_compare';

/** ‖a − b‖ / ‖b‖. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fixture: { type: 'string' }, reference: { type: 'string' }, backend: { type: 'string' } } });
  if (!values.fixture || !values.reference) throw new Error('usage: bench/parity/unet_precision.ts --fixture DIR --reference DIR [--backend node|wasm|cpu]');
  const dir = resolve(values.fixture);
  const ref = resolve(values.reference);
  const backend = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
  const { model, sources } = authorsModel(fixtureSource(dir));
  const made = JSON.parse(readFileSync(join(ref, 'made-with.json'), 'utf8')) as { loss: Record<string, number>; torch: string; side: number };
  const theirs = (kind: 'f32' | 'f64' | 'f64-ulp', name: string) => npyToFloat64(readNpy(join(ref, kind, `${name}.npy`)));
  try {
    const names = Object.keys(sources).filter((n) => n.startsWith('segHead.unet.') && model.params.get(n));
    const vars = names.map((n) => model.params.get(n)!.variable);
    const rows: { ours: string; theirs: string; size: number; ours32: number; torch32: number; oursVsTorch32: number; ulpMoves: number; ownFeaturesVsTorch32: number }[] = [];
    let featureDiff = { maxAbsDiff: 0, relative: 0 };
    let loss = 0;
    let input = { ours32: 0, torch32: 0, oursVsTorch32: 0, ulpMoves: 0, ownFeaturesVsTorch32: 0 };
    const f = fixtureNpy(dir, 'features');
    // Our SRN's own features on the fixture's rays (within float32 rounding of theirs): the full step's U-Net input.
    const ownFeatures = ourForward(model, dir).features;
    const unetGrads = (features: Float32Array) =>
      tf.tidy(() => {
        const x = tf.variable(tf.tensor3d(features, f.shape as [number, number, number]), true);
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.head('unet').apply(x as unknown as tf.Tensor3D, { training: true });
          return crossEntropyLoss(logits, fixtureLabels(dir));
        }, [x, ...vars]);
        const out = { loss: value.dataSync()[0], input: grads[x.name].dataSync(), params: names.map((n, k) => toAuthorsLayout(grads[vars[k].name], sources[n].layout).dataSync()) };
        x.dispose();
        return out;
      });
    const same = unetGrads(f.data);
    const own = unetGrads(ownFeatures);
    loss = same.loss;
    const f64In = theirs('f64', 'input');
    const t32In = theirs('f32', 'input');
    input = { ours32: relErr(same.input, f64In), torch32: relErr(t32In, f64In), oursVsTorch32: relErr(same.input, t32In), ulpMoves: relErr(theirs('f64-ulp', 'input'), f64In), ownFeaturesVsTorch32: relErr(own.input, t32In) };
    names.forEach((n, k) => {
      const src = sources[n];
      const f64 = theirs('f64', src.theirs);
      const t32 = theirs('f32', src.theirs);
      const g = same.params[k];
      rows.push({ ours: n, theirs: src.theirs, size: g.length, ours32: relErr(g, f64), torch32: relErr(t32, f64), oursVsTorch32: relErr(g, t32), ulpMoves: relErr(theirs('f64-ulp', src.theirs), f64), ownFeaturesVsTorch32: relErr(own.params[k], t32) });
    });
    featureDiff = { maxAbsDiff: maxAbsDiff(ownFeatures, f.data), relative: relErr(ownFeatures, f.data) };
    console.log(
      JSON.stringify(
        {
          fixture: dir,
          backend: describeBackend(backend),
          load: loadavg()[0],
          torch: made.torch,
          side: made.side,
          loss: { ours: loss, torch32: made.loss.f32, torch64: made.loss.f64 },
          note: 'norm-relative errors ‖g − g64‖ / ‖g64‖ against PyTorch float64 of our float32 (ours32) and PyTorch float32 (torch32); ‖ours − torch32‖ / ‖torch32‖; and how far float64 moves when the features move by one float32 ulp at random (ulpMoves: the conditioning); ownFeaturesVsTorch32: ours on our own SRN features (featureDiff from theirs) against PyTorch float32 on theirs, i.e. the full step\'s gap',
          featureDiff,
          input,
          params: rows.map((r) => ({ ...r, ratio: r.ours32 / r.torch32 })),
        },
        null,
        1,
      ),
    );
  } finally {
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
