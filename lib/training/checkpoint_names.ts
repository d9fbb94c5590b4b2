/**
 * How a checkpoint folder's siblings are named, without TF.js: the checkpoint writer (checkpoint.ts) makes them and
 * `semantic-srn status` (experiments/runs_status.ts) must not count them as trainings of their own.
 */
import { basename } from 'node:path';

/** Prefix of the temporaries an interrupted write may leave: `.<name>.tmp-<pid>-<n>`. */
export const tempPrefix = (dir: string) => `.${basename(dir)}.tmp-`;
/** Prefix of the kept older checkpoints: `<name>.step-<step>`. */
export const keptPrefix = (dir: string) => `${basename(dir)}.step-`;

/** Whether a folder name is one of a checkpoint's kept or temporary siblings (`X.old`, `X.step-N`, `.X.tmp-…`), not a checkpoint of its own. */
export function isCheckpointSibling(name: string): boolean {
  return name.endsWith('.old') || name.includes('.step-') || (name.startsWith('.') && name.includes('.tmp-'));
}
