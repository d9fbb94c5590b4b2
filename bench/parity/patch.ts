/**
 * The run-time patches applied to a scratch copy of the authors' code (never to their checkout, never
 * committed). Pure string → string functions, so they are tested on fixture text.
 *
 * 1. CPU (the only change needed to run their code as released): every `.cuda()` is removed, so tensors and
 *    modules stay on the CPU where they were created (`model.cuda()` becomes the no-op statement `model`), and
 *    `torch.device('cuda')` becomes `torch.device('cpu')` (test.py).
 * 2. Widths (only when our preset is not the paper's): the numbers models.py hard-codes for the phi/renderer
 *    width, the renderer depth and the feature U-Net are rewritten to the preset's (config_map.ts lists them).
 *    With the `paper` preset this patch changes nothing.
 * 3. Library compatibility (one rule): util.py's show_images passes a float row count to matplotlib's
 *    add_subplot (np.ceil returns a float), which matplotlib ≥ 3.7 rejects; it is wrapped in int(). Their
 *    raymarcher calls it every 100 steps for a TensorBoard figure, so train.py stops at step 0 without it.
 * Each rule must match the expected number of times; otherwise the copy is not 3ff49be and the error says so.
 */
import type { TheirConstants } from './config_map';

export interface PatchResult {
  text: string;
  /** What was replaced, one entry per rule that matched. */
  changes: { rule: string; count: number }[];
}

const CUDA_CALL = /\.cuda\(\)/g;
const CUDA_DEVICE = /torch\.device\((['"])cuda\1\)/g;

/** Patch 1: run on the CPU. Files without CUDA calls come back unchanged. */
export function cpuPatch(source: string): PatchResult {
  const changes: PatchResult['changes'] = [];
  let n = 0;
  let text = source.replace(CUDA_CALL, () => {
    n++;
    return '';
  });
  if (n) changes.push({ rule: '.cuda() removed', count: n });
  let d = 0;
  text = text.replace(CUDA_DEVICE, () => {
    d++;
    return "torch.device('cpu')";
  });
  if (d) changes.push({ rule: "torch.device('cuda') → 'cpu'", count: d });
  return { text, changes };
}

function replaceCounted(text: string, pattern: RegExp, replacement: string, expected: number | 'atLeastOne', rule: string, file: string) {
  let n = 0;
  const out = text.replace(pattern, () => {
    n++;
    return replacement;
  });
  const ok = expected === 'atLeastOne' ? n >= 1 : n === expected;
  if (!ok) {
    throw new Error(`parity patch: ${file}: '${rule}' matched ${n} time(s), expected ${expected === 'atLeastOne' ? 'at least 1' : expected} (is this apsk14/semantic_scene_representations at 3ff49be?)`);
  }
  return { text: out, count: n };
}

/** Patch 2 on models.py: their hard-coded widths → ours. */
export function widthPatch(modelsPy: string, k: TheirConstants, file = 'models.py'): PatchResult {
  const changes: PatchResult['changes'] = [];
  let text = modelsPy;
  const w = replaceCounted(text, /self\.num_hidden_units_phi = 256\b/g, `self.num_hidden_units_phi = ${k.width}`, 'atLeastOne', 'num_hidden_units_phi = 256', file);
  text = w.text;
  changes.push({ rule: `num_hidden_units_phi 256 → ${k.width}`, count: w.count });
  const r = replaceCounted(text, /self\.rendering_layers = 5\b/g, `self.rendering_layers = ${k.renderingLayers}`, 1, 'rendering_layers = 5', file);
  text = r.text;
  changes.push({ rule: `rendering_layers 5 → ${k.renderingLayers}`, count: r.count });
  // The feature U-Net call: its arguments contain no ')' so one regex isolates it.
  const call = /self\.class_generator = pytorch_prototyping\.Unet\(([^)]*)\)/g;
  let calls = 0;
  text = text.replace(call, (whole, args: string) => {
    calls++;
    let a = args;
    for (const [name, from, to] of [['nf0', 64, k.unet.nf0], ['max_channels', 128, k.unet.maxChannels], ['num_down', 4, k.unet.numDown]] as const) {
      a = replaceCounted(a, new RegExp(`\\b${name}=${from}\\b`, 'g'), `${name}=${to}`, 1, `class_generator ${name}=${from}`, file).text;
    }
    return whole.replace(args, a);
  });
  if (calls !== 1) throw new Error(`parity patch: ${file}: the class_generator U-Net call matched ${calls} time(s), expected 1 (is this 3ff49be?)`);
  changes.push({ rule: `class_generator nf0/num_down/max_channels → ${k.unet.nf0}/${k.unet.numDown}/${k.unet.maxChannels}`, count: 1 });
  return { text, changes };
}

/** Patch 3 on util.py: matplotlib ≥ 3.7 wants an int row count in add_subplot. */
export function compatPatch(utilPy: string, file = 'util.py'): PatchResult {
  const r = replaceCounted(utilPy, /fig\.add_subplot\(np\.ceil\(n_images \/ float\(cols\)\), cols, n \+ 1\)/g,
    'fig.add_subplot(int(np.ceil(n_images / float(cols))), cols, n + 1)', 1, 'show_images add_subplot(np.ceil(...))', file);
  return { text: r.text, changes: [{ rule: 'add_subplot row count wrapped in int() (matplotlib ≥ 3.7)', count: r.count }] };
}
