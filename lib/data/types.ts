/**
 * The dataset as the rest of the library sees it: the official on-disk layout
 * `<root>/<Class>/<Class>.<split>/<instance>/{intrinsics.txt, rgb/, pose/, seg/, depth/?}` plus
 * `<root>/<Class>/<Class>-level-1.txt` (spec/reference.md §5), for real and generated data alike.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Intrinsics, Mat4 } from '../geometry/cameras';

export type SplitName = 'train' | 'val' | 'test';

/** Files of one view; matched across folders by sorted file order. */
export interface ViewFiles {
  rgb: string;
  pose: string;
  seg?: string;
  depth?: string;
  /** Position in the instance's full sorted view list (kept when views are subset). */
  index?: number;
}

export interface InstanceRecord {
  /** Folder name (ShapeNet id, or the generator's 32-hex id). */
  id: string;
  /** Position in the sorted list of the full split: the latent-code row (reference pitfall 14). */
  index: number;
  dir: string;
  /** Intrinsics as written in the file (original render size). */
  intrinsics: Intrinsics;
  views: ViewFiles[];
}

export interface SplitInfo {
  root: string;
  className: string;
  split: SplitName;
  /** 1 + the largest id in `<Class>-level-1.txt`. */
  numClasses: number;
  /** names[id]; id 0 is 'background'. */
  classNames: string[];
  /** Sorted by id; a subset keeps each instance's full-split `index`. */
  instances: InstanceRecord[];
  /** Number of instances in the full split (rows of the latent table), also after subsetting. */
  fullSplitSize?: number;
  /** `<root>/<Class>/<Class>.<split>`. */
  splitDir?: string;
}

/** One preprocessed view at side S (the exact arrays the model consumes). */
export interface LoadedView {
  /** S·S·4 floats in [-1, 1], RGBA, transparent pixels white (1,1,1,1), row-major. */
  rgba: Float32Array;
  /** S·S class ids (nearest-resized), when the split has labels. */
  labels?: Int32Array;
  /** S·S camera z-depths (0 = background), when a depth/ folder exists. */
  depth?: Float32Array;
  pose: Mat4;
  /** Rescaled to S. */
  intrinsics: Intrinsics;
}

/** A batch of (instance, view) pairs as tensors. */
export interface ViewBatch {
  /** Latent-code rows, int32 [B]. */
  instanceIndex: tf.Tensor1D;
  /** Positions in `SplitInfo.instances` (for host-side bookkeeping). */
  instancePositions: number[];
  /** Each view's position in its instance's full sorted view list (`ViewFiles.index`). */
  viewIndex: number[];
  /** [B, S·S, 4] in [-1, 1]. */
  rgba: tf.Tensor3D;
  /** [B, S·S] int32, if labelled. */
  labels?: tf.Tensor2D;
  /** [B, S·S] float32 camera z-depth (0 = background), if every view has depth/. */
  depth?: tf.Tensor2D;
  /** [B, 4, 4] cam2world. */
  cam2world: tf.Tensor3D;
  /** [B, 4] (fx, fy, cx, cy) at side S. */
  intrinsics: tf.Tensor2D;
  side: number;
}

/** (position in SplitInfo.instances, position in that instance's `views`) */
export interface ViewRef {
  instance: number;
  view: number;
}
