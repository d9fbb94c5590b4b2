/**
 * Which views a test object is fitted from (spec/reference.md §4.4): single view = view 65;
 * multi view = `linspace(0, N, 50, endpoint=False)` truncated to int, i.e. 0, 5, …, 245 for N = 251.
 * Evaluation always covers every view of the instance, the observed ones included (§4.6, §6).
 */
import { SINGLE_VIEW_INDEX } from '../config/defaults';
import type { InstanceRecord } from '../data/types';

export type ProtocolName = 'single' | 'multi';

export interface ProtocolSpec {
  name: string;
  /** Observed views as file indices (positions in the instance's full sorted view list). */
  observedViews: number[];
}

export const MULTI_VIEW_COUNT = 50;

/** The reference's multi-view observation indices for an instance with `numViews` views. */
export function multiViewIndices(numViews = 251, count = MULTI_VIEW_COUNT): number[] {
  if (!Number.isInteger(numViews) || numViews < 1) throw new Error(`multiViewIndices: numViews must be a positive integer, got ${numViews}`);
  const n = Math.min(count, numViews);
  return Array.from({ length: n }, (_, i) => Math.floor((i * numViews) / n));
}

/** Resolves a protocol name for test instances with `numViews` views each. */
export function protocolSpec(protocol: ProtocolName | ProtocolSpec, numViews = 251): ProtocolSpec {
  if (typeof protocol !== 'string') return { name: protocol.name, observedViews: [...protocol.observedViews] };
  if (protocol === 'single') {
    if (numViews <= SINGLE_VIEW_INDEX) {
      throw new Error(`protocol 'single' observes view ${SINGLE_VIEW_INDEX}, but the test instances have only ${numViews} views`);
    }
    return { name: 'single', observedViews: [SINGLE_VIEW_INDEX] };
  }
  if (protocol === 'multi') return { name: 'multi', observedViews: multiViewIndices(numViews) };
  throw new Error(`protocol: expected 'single' or 'multi', got '${protocol as string}'`);
}

/**
 * Positions in `inst.views` of the given file indices (they differ when the split was opened with a
 * view subset). Throws naming the instance when a view is missing.
 */
export function viewPositions(inst: InstanceRecord, fileIndices: readonly number[]): number[] {
  const pos = new Map(inst.views.map((v, p) => [v.index ?? p, p]));
  return fileIndices.map((f) => {
    const p = pos.get(f);
    if (p === undefined) throw new Error(`${inst.dir}: view ${f} not available (instance has ${inst.views.length} views)`);
    return p;
  });
}
