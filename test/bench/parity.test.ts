/** bench/parity's pure parts: the flag mapping, the run-time patches, their log parsing, the data view. No torch needed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import { configMapping, mappingMarkdown, type ParityRun, theirConstants, theirFitArgs, theirProbeArgs, theirTrainArgs } from '../../bench/parity/config_map';
import { formatTimedLines, parseTheirLine, parseTheirProbeLine, parseTimedLines, psnrFromMse, rollingMean, summarise, theirProbeSteps, theirSteps } from '../../bench/parity/metrics';
import { compatPatch, cpuPatch, widthPatch } from '../../bench/parity/patch';
import { checkPython, exportSource, theirDataView } from '../../bench/parity/theirs';
import { tempRoot, writeUniformSplit } from '../data/loader_fixture';

const RUN: ParityRun = { stage: 'pretrain', side: 64, batchSize: 4, steps: 20, instances: 50, views: 50, objName: 'Chair' };

function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

test('cpu preset maps to their flags and hard-coded constants', () => {
  const cfg = presetConfig('cpu');
  const args = theirTrainArgs(cfg, RUN, { dataRoot: '/d', loggingRoot: '/l' });
  assert.equal(flagValue(args, '--embedding_size'), '64');
  assert.equal(flagValue(args, '--tracing_steps'), '10');
  assert.equal(flagValue(args, '--img_sidelengths'), '64');
  assert.equal(flagValue(args, '--batch_size_per_img_sidelength'), '4');
  assert.equal(flagValue(args, '--max_steps_per_img_sidelength'), '20');
  assert.equal(flagValue(args, '--max_num_instances_train'), '50');
  assert.equal(flagValue(args, '--class_weight'), '0');
  assert.equal(flagValue(args, '--l1_weight'), '200');
  assert.equal(flagValue(args, '--reg_weight'), '0.001');
  assert.equal(flagValue(args, '--lr'), '0.0004');
  assert.equal(flagValue(args, '--obj_name'), 'Chair');
  assert.equal(flagValue(args, '--data_root'), '/d');
  assert.deepEqual(theirConstants(cfg), { width: 64, renderingLayers: 2, unet: { nf0: 32, numDown: 3, maxChannels: 64 } });
  // Every flag appears once; constants and fixed rows never become flags.
  const flags = args.filter((a) => a.startsWith('--'));
  assert.equal(new Set(flags).size, flags.length);
  assert.ok(!args.some((a) => a.includes('num_hidden_units_phi')));
  const md = mappingMarkdown(configMapping(cfg, RUN));
  assert.match(md, /\| `model.latentDim \(= hyperHidden\)` \| 64 \| --embedding_size \| CLI flag \|/);
  assert.match(md, /models.py rendering_layers \| written into the scratch copy/);
});

test('semantic stage passes the CE weight; paper preset needs no width change', () => {
  const args = theirTrainArgs(presetConfig('paper'), { ...RUN, stage: 'semantic' }, { dataRoot: '/d', loggingRoot: '/l' });
  assert.equal(flagValue(args, '--class_weight'), '8');
  assert.equal(flagValue(args, '--embedding_size'), '256');
  assert.deepEqual(theirConstants(presetConfig('paper')), { width: 256, renderingLayers: 5, unet: { nf0: 64, numDown: 4, maxChannels: 128 } });
});

test('the mapping refuses configs their code cannot express, naming the field', () => {
  assert.throws(() => configMapping(presetConfig('cpu', { model: { hyperHidden: 32 } }), RUN), /model\.hyperHidden \(32\) must equal model\.latentDim \(64\)/);
  assert.throws(() => configMapping(presetConfig('cpu', { model: { rendererWidth: 32 } }), RUN), /model\.rendererWidth/);
  assert.throws(() => configMapping(presetConfig('cpu', { model: { lstmHidden: 256 } }), RUN), /model\.lstmHidden is 256 but their code fixes it at 16/);
  assert.throws(() => configMapping(presetConfig('cpu', { training: { pretrain: { raysPerImage: 1024 } } }), RUN), /raysPerImage is 1024/);
  assert.throws(() => configMapping(presetConfig('cpu', { training: { pretrain: { latent: { lr: 1e-3 } } } }), RUN), /--lr sets both optimisers/);
  assert.throws(() => configMapping(presetConfig('cpu'), { ...RUN, side: 60 }), /--side 60 must be divisible by 2\^model\.unet\.numDown = 8/);
  assert.throws(() => configMapping(presetConfig('cpu'), { ...RUN, steps: 0 }), /--steps must be a positive integer/);
});

test('the single-view fit maps to train.py --overwrite_embeddings with one joint batch of the test objects', () => {
  const cfg = presetConfig('cpu');
  const args = theirFitArgs(cfg, RUN, { steps: 30, objects: 4, view: 65 }, { dataRoot: '/t', loggingRoot: '/l', checkpoint: '/l/train/checkpoints' });
  assert.ok(args.includes('--overwrite_embeddings'));
  assert.equal(flagValue(args, '--checkpoint_path'), '/l/train/checkpoints');
  assert.equal(flagValue(args, '--specific_observation_idcs'), '65');
  assert.equal(flagValue(args, '--batch_size_per_img_sidelength'), '4');
  assert.equal(flagValue(args, '--max_num_instances_train'), '4');
  assert.equal(flagValue(args, '--max_steps_per_img_sidelength'), '30');
  assert.equal(flagValue(args, '--class_weight'), '0');
  assert.equal(flagValue(args, '--l1_weight'), String(cfg.training.latentFit.weights.img));
  assert.throws(() => theirFitArgs(presetConfig('cpu', { training: { latentFit: { initStd: 0.1 } } }), RUN, { steps: 3, objects: 4, view: 65 }, { dataRoot: '', loggingRoot: '', checkpoint: '' }), /initStd is 0\.1 but their nn\.init\.normal_ uses std 0\.01/);
  assert.throws(() => theirFitArgs(cfg, RUN, { steps: 0, objects: 4, view: 65 }, { dataRoot: '', loggingRoot: '', checkpoint: '' }), /--fit-steps must be a positive integer/);
});

test('the linear probe maps to update.py --model_type linear on views 0,1,2 of the first objects', () => {
  const cfg = presetConfig('cpu');
  const args = theirProbeArgs(cfg, RUN, { steps: 50, instances: 10, views: [0, 1, 2] }, { dataRoot: '/d', loggingRoot: '/l', checkpoint: '/l/train/checkpoints' });
  assert.equal(flagValue(args, '--model_type'), 'linear');
  assert.equal(flagValue(args, '--specific_observation_idcs'), '0,1,2');
  assert.equal(flagValue(args, '--max_num_instances_train'), '10');
  assert.equal(flagValue(args, '--batch_size_per_img_sidelength'), String(cfg.training.probe.batchSize));
  assert.equal(flagValue(args, '--class_weight'), '8');
  assert.equal(flagValue(args, '--img_sidelengths'), '64');
  assert.throws(() => theirProbeArgs(presetConfig('cpu', { training: { probe: { head: 'mlp' } } }), RUN, { steps: 5, instances: 10, views: [0] }, { dataRoot: '', loggingRoot: '', checkpoint: '' }), /training\.probe\.head is 'mlp'/);
  assert.deepEqual(parseTheirProbeLine('Iter 0000003   Epoch 001   L_class 12.5000'), { iter: 3, epoch: 1, cls: 12.5 });
  assert.equal(parseTheirProbeLine('Iter 0000003   Epoch 001   L_img 1.0   L_class 0.0   L_latent 0.0   L_depth 0.0'), null);
  const steps = theirProbeSteps([{ t: 2000, line: 'Iter 0000000   Epoch 000   L_class 14.0000' }, { t: 2250, line: 'Iter 0000001   Epoch 000   L_class 10.0000' }], 1000);
  assert.deepEqual(steps.map((m) => [m.step, m.loss, m.seconds]), [[1, 14, 1], [2, 10, 0.25]]);
  assert.equal(summarise(steps, 0).finalPsnr, null);
});

test('rollingMean smooths with a trailing window', () => {
  assert.deepEqual(rollingMean([2, 4, 6, 8], 2), [2, 3, 5, 7]);
  assert.deepEqual(rollingMean([1, 2], 1), [1, 2]);
  assert.throws(() => rollingMean([1], 0), /window must be a positive integer/);
});

test('cpuPatch removes .cuda() calls and the cuda device, and leaves other text alone', () => {
  const src = [
    'model.cuda()',
    'x = torch.ones((b, n, 1)).fill_(0.05).cuda()',
    "device = torch.device('cuda')",
    'y = self.net(input.cuda())',
    'cuda_note = "cuda"',
  ].join('\n');
  const r = cpuPatch(src);
  assert.equal(r.text, ['model', 'x = torch.ones((b, n, 1)).fill_(0.05)', "device = torch.device('cpu')", 'y = self.net(input)', 'cuda_note = "cuda"'].join('\n'));
  assert.deepEqual(r.changes, [{ rule: '.cuda() removed', count: 3 }, { rule: "torch.device('cuda') → 'cpu'", count: 1 }]);
  assert.deepEqual(cpuPatch('import numpy as np\n'), { text: 'import numpy as np\n', changes: [] });
});

const MODELS_FIXTURE = [
  'class LinearModel(nn.Module):',
  '        self.num_hidden_units_phi = 256',
  'class SRNsModel(nn.Module):',
  '        self.num_hidden_units_phi = 256',
  '        self.rendering_layers = 5  # includes the in and out layers',
  '            self.class_generator = pytorch_prototyping.Unet(in_channels=self.num_hidden_units_phi,',
  '                                                            nf0=64,',
  '                                                            norm=nn.BatchNorm2d,',
  '                                                            max_channels=128,',
  '                                                            num_down=4)',
  '        unet = pytorch_prototyping.Unet(nf0=64, num_down=7, max_channels=512)',
].join('\n');

test('widthPatch writes the preset widths into models.py and only into the feature U-Net call', () => {
  const r = widthPatch(MODELS_FIXTURE, theirConstants(presetConfig('cpu')));
  assert.equal((r.text.match(/num_hidden_units_phi = 64/g) ?? []).length, 2);
  assert.match(r.text, /self\.rendering_layers = 2  # includes/);
  assert.match(r.text, /nf0=32,\n\s+norm=nn\.BatchNorm2d,\n\s+max_channels=64,\n\s+num_down=3\)/);
  // The other U-Net (the 2D baseline) keeps its numbers.
  assert.match(r.text, /Unet\(nf0=64, num_down=7, max_channels=512\)/);
  // Paper widths: nothing changes.
  assert.equal(widthPatch(MODELS_FIXTURE, theirConstants(presetConfig('paper'))).text, MODELS_FIXTURE);
});

test('widthPatch and compatPatch say which file and rule did not match', () => {
  const k = theirConstants(presetConfig('cpu'));
  assert.throws(() => widthPatch(MODELS_FIXTURE.replace('rendering_layers = 5', 'rendering_layers = 4'), k), /models\.py: 'rendering_layers = 5' matched 0 time\(s\), expected 1 .*3ff49be/);
  assert.throws(() => widthPatch(MODELS_FIXTURE.replace('nf0=64,', 'nf0=16,'), k), /class_generator nf0=64' matched 0/);
  const util = '        a = fig.add_subplot(np.ceil(n_images / float(cols)), cols, n + 1)\n';
  assert.equal(compatPatch(util).text, '        a = fig.add_subplot(int(np.ceil(n_images / float(cols))), cols, n + 1)\n');
  assert.throws(() => compatPatch('pass\n'), /util\.py: 'show_images add_subplot/);
});

test('their step lines parse into unweighted MSE, PSNR and per-step wall time', () => {
  assert.deepEqual(parseTheirLine('Iter 0000012   Epoch 003   L_img 8.0000   L_class 0.0000   L_latent 0.0001   L_depth 0.0000'), {
    iter: 12, epoch: 3, img: 8, cls: 0, latent: 0.0001, depth: 0,
  });
  assert.equal(parseTheirLine('Beginning training...'), null);
  assert.equal(parseTheirLine('Iter 0000001   Epoch 000   L_img nan   L_class 0.0000   L_latent 0.0001   L_depth 0.0000')!.img, NaN);
  assert.equal(psnrFromMse(0.04), 20); // 10·log10(4 / 0.04)
  const lines = [
    { t: 1000, line: 'PARITY torch 2 threads 1 seed 0' },
    { t: 4000, line: 'Iter 0000000   Epoch 000   L_img 8.0000   L_class 0.0000   L_latent 0.0002   L_depth 1.0000' },
    { t: 4500, line: 'Iter 0000001   Epoch 000   L_img 0.8000   L_class 0.0000   L_latent 0.0002   L_depth 0.0000' },
  ];
  const steps = theirSteps(lines, 200, 500);
  assert.equal(steps.length, 2);
  assert.deepEqual(steps.map((s) => s.step), [1, 2]);
  assert.deepEqual(steps.map((s) => s.seconds), [3.5, 0.5]);
  assert.equal(steps[0].mse, 0.04);
  assert.equal(steps[0].psnr, 20);
  assert.ok(Math.abs(steps[1].psnr - 30) < 1e-9);
  assert.ok(Math.abs(steps[0].loss - 9.0002) < 1e-9);
  assert.throws(() => theirSteps([lines[2]], 200, 0), /expected 'Iter 0000000', got iter 1/);
  // stdout.tsv round trip, and a clear error on a malformed row.
  assert.deepEqual(parseTimedLines(formatTimedLines(lines)), lines);
  assert.throws(() => parseTimedLines('12\tok\nnot a row\n', 'x/stdout.tsv'), /x\/stdout\.tsv:2: expected '<milliseconds>\\t<line>'/);
  const s = summarise([...steps, { ...steps[1], step: 3, seconds: 1.5 }], 1);
  assert.equal(s.medianStepSeconds, 1);
  assert.equal(s.warmup, 1);
  assert.equal(s.steps, 3);
});

test('their data view links our split and adds the empty point-cloud files their loader opens', () => {
  const { root, cleanup } = tempRoot();
  try {
    writeUniformSplit(join(root, 'ours'), ['a1', 'b2'], 3);
    const info = openSplit(join(root, 'ours'), 'chair', 'train');
    const dataRoot = theirDataView(info, join(root, 'theirs'));
    assert.equal(dataRoot, join(root, 'theirs', 'Chair', 'Chair.train'));
    assert.ok(lstatSync(join(root, 'theirs', 'Chair', 'Chair-level-1.txt')).isSymbolicLink());
    for (const id of ['a1', 'b2']) {
      assert.equal(readlinkSync(join(dataRoot, id, 'rgb')), join(root, 'ours', 'Chair', 'Chair.train', id, 'rgb'));
      assert.ok(statSync(join(dataRoot, id, 'seg')).isDirectory());
      assert.equal(readFileSync(join(dataRoot, id, 'point_cloud', 'sample-points-label-10000.txt'), 'utf8'), '');
    }
  } finally {
    cleanup();
  }
});

test('exportSource copies a checkout without .git and explains how to get the code when the path is wrong', () => {
  const { root, cleanup } = tempRoot();
  try {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    writeFileSync(join(repo, 'train.py'), 'print(1)\n');
    writeFileSync(join(repo, '.git', 'HEAD'), 'not a real git dir\n');
    const info = exportSource(repo, '3ff49be', join(root, 'copy'), 'train.py', 'repo');
    assert.equal(info.kind, 'checkout');
    assert.ok(existsSync(join(root, 'copy', 'train.py')));
    assert.ok(!existsSync(join(root, 'copy', '.git')));
    assert.throws(() => exportSource(join(root, 'nope'), '3ff49be', join(root, 'c2'), 'train.py', 'repo'), /does not exist\n.*SRN_PARITY_REPO/s);
    mkdirSync(join(root, 'empty'));
    assert.throws(() => exportSource(join(root, 'empty'), '3ff49be', join(root, 'c3'), 'train.py', 'repo'), /has no train\.py and is not a git directory/);
  } finally {
    cleanup();
  }
});

test('checkPython names the variable and the install recipe', () => {
  assert.throws(() => checkPython(undefined), /SRN_PARITY_PYTHON\)\n.*pip install torch/s);
  assert.throws(() => checkPython('/nonexistent/python3'), /cannot run '\/nonexistent\/python3'.*pip install torch/s);
});
