/**
 * `semantic-srn import-authors`: the authors' released PyTorch weights (their `setup_models.sh` / `get_models.sh`) as
 * our checkpoint, which `semantic-srn eval --checkpoint` then scores on the real data.
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './command';

const HELP = `usage: semantic-srn import-authors --srn FILE [--linear FILE] [options]

  --srn FILE            the authors' SRNsModel checkpoint (.pth written by their util.custom_save)
  --linear FILE         the authors' LinearModel checkpoint (their linear probe); without it the checkpoint has no head
  --class NAME          the dataset class folder the weights belong to (default Chair; chair/table accepted)
  --tracing-steps N     ray-marching steps (their --tracing_steps; 10 in every released script)
  --preset NAME         where the settings beside the model's come from (fit, evaluation): paper (default), cpu, …
  --out DIR             where the checkpoint goes (default runs/authors-<class>/checkpoints/probe)

Sizes (latent, widths, layers, classes, the U-Net head's) are read from the tensors' shapes; the rest is the
preset's (--preset). A semantic SRN's class generator (the fully supervised model's U-Net head) comes in as the 'unet'
head with its BatchNorm statistics; their SRNsModel always builds one, so a vanilla SRN (trained at --class_weight 0)
carries it untrained: score such a model with its linear probe. Then: semantic-srn eval --checkpoint DIR --data <the
real data's root> [--head linear|unet]`;

export const importAuthorsCommand: CliCommand = {
  summary: "turn the authors' released PyTorch weights (.pth) into a checkpoint that eval scores",
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        srn: { type: 'string' }, linear: { type: 'string' }, class: { type: 'string' }, 'tracing-steps': { type: 'string' }, preset: { type: 'string' }, out: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.srn) {
      console.error(`semantic-srn import-authors: --srn is required\n\n${HELP}`);
      return 2;
    }
    const steps = values['tracing-steps'] === undefined ? undefined : Number(values['tracing-steps']);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
      console.error(`semantic-srn import-authors: --tracing-steps must be a positive integer, got '${values['tracing-steps']}'`);
      return 2;
    }
    const { resolve, join } = await import('node:path');
    const { readTorchStateDict } = await import('../io/torch_checkpoint');
    const { saveAuthorsCheckpoint } = await import('../training/authors_weights');
    const { datasetClassFolder } = await import('../pipeline/data');
    const className = datasetClassFolder(values.class ?? 'Chair');
    const out = resolve(values.out ?? join('runs', `authors-${className.toLowerCase()}`, 'checkpoints', 'probe'));
    const srnFile = resolve(values.srn);
    const linearFile = values.linear && resolve(values.linear);
    const source = {
      srn: { file: srnFile, tensors: readTorchStateDict(srnFile) },
      ...(linearFile ? { linear: { file: linearFile, tensors: readTorchStateDict(linearFile) } } : {}),
    };
    const r = saveAuthorsCheckpoint(out, source, { ...(steps ? { marchSteps: steps } : {}), ...(values.preset ? { preset: values.preset } : {}), config: { data: { className } } });
    const m = r.config.model;
    console.log(`imported ${srnFile}${linearFile ? ` and ${linearFile}` : ''}`);
    console.log(`  SRN: latent ${m.latentDim}, phi ${m.phiLayers} × ${m.phiWidth}, hypernetwork ${m.hyperHiddenLayers} × ${m.hyperHidden}, LSTM ${m.lstmHidden}, ${m.marchSteps} marching steps, renderer ${m.rendererHiddenLayers} × ${m.rendererWidth}; ${source.srn.tensors.get('latent_codes.weight')!.shape[0]} training codes`);
    const heads = [...r.model.heads.keys()];
    console.log(`  heads: ${heads.length ? `${heads.join(', ')} (${m.numClasses} classes)${heads.includes('unet') ? `; U-Net nf0 ${m.unet.nf0}, ${m.unet.numDown} downs, max ${m.unet.maxChannels}` : ''}` : 'none (give --linear to score segmentation)'}`);
    r.model.dispose();
    if (r.unused.length) console.log(`  not imported: ${r.unused.length} tensors (${[...new Set(r.unused.map((n) => n.split('.')[0]))].join(', ')})`);
    console.log(`checkpoint: ${out}`);
    if (heads.length) console.log(`next: semantic-srn eval --checkpoint ${out} --data <dataset root holding ${className}/>${heads.includes('linear') ? '' : ' --head unet'}`);
    return 0;
  },
};
