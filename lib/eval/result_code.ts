/**
 * The code versions a result's numbers depend on, recorded in the results that carry them, so that a runs folder
 * filled before a fix is not reused as if the fix had been in. Experiments reuse finished results of the same config
 * (code changes do not count there, see lib/experiments/finished_run.ts); this is the exception for a fix that moved
 * the numbers: every number a trained U-Net made (the 2-D U-Nets, the semantic SRN's U-Net head, the sweep's U-Net)
 * depends on the reflection-padding gradient (lib/srn/reflect_pad.ts, version 2 since 4a5cf52).
 * A result without `codeVersions` predates it: version 1.
 */
import { REFLECT_PAD_GRAD_VERSION } from '../srn/reflect_pad';

export interface CodeVersions {
  reflectPadGrad?: number;
}

/** What the numbers of a trained U-Net depend on (written into its results and Table 1 entries). */
export const UNET_CODE: Required<CodeVersions> = { reflectPadGrad: REFLECT_PAD_GRAD_VERSION };

/** The Table 1 columns made by a trained U-Net (the 2-D U-Nets; SRN+U-Net's semantic SRN trains its U-Net head). */
export const UNET_COLUMNS: readonly string[] = ['unet-30shot', 'srn-unet-single', 'srn-unet-multi', 'unet-oracle'];

/** The baseline kinds whose numbers a trained U-Net makes (lib/baselines/finished_baseline.ts's kinds). */
export const UNET_KINDS: readonly string[] = ['unet-oracle', 'unet-fewshot', 'srn-unet', 'srn-render-unet'];

/**
 * Why a U-Net-made result recorded with `versions` (its `codeVersions`, absent before they were recorded) is stale,
 * or null when it is current.
 */
export function unetResultStale(versions: unknown): string | null {
  const v = versions && typeof versions === 'object' ? (versions as CodeVersions).reflectPadGrad : undefined;
  const got = typeof v === 'number' ? v : 1;
  if (got === UNET_CODE.reflectPadGrad) return null;
  const when = got < UNET_CODE.reflectPadGrad ? 'before the fix of 4a5cf52' : 'by newer code';
  return `made with reflection-padding gradient v${got}, ${when} (this code: v${UNET_CODE.reflectPadGrad})`;
}

/** Why a baseline kind's own result (recorded with `versions`) is stale, or null: only U-Net-made kinds can be. */
export function staleKindResult(kind: string, versions: unknown): string | null {
  return UNET_KINDS.includes(kind) ? unetResultStale(versions) : null;
}

/** Why a Table 1 entry of column `id` (recorded with `versions`) is stale, or null: only U-Net-made columns can be. */
export function staleColumnResult(id: string, versions: unknown): string | null {
  return UNET_COLUMNS.includes(id) ? unetResultStale(versions) : null;
}

/**
 * The stale Table 1 entries of a results document (its `table1`: one entry or a list), each as 'column id: why';
 * empty when every U-Net entry is current (or there is none).
 */
export function staleTable1Entries(doc: unknown): string[] {
  const t = doc && typeof doc === 'object' ? (doc as { table1?: unknown; codeVersions?: unknown }) : {};
  const entries = Array.isArray(t.table1) ? t.table1 : t.table1 && typeof t.table1 === 'object' ? [t.table1] : [];
  const out: string[] = [];
  for (const e of entries as { id?: unknown; codeVersions?: unknown }[]) {
    if (typeof e?.id !== 'string') continue;
    const why = staleColumnResult(e.id, e.codeVersions ?? t.codeVersions);
    if (why) out.push(`${e.id}: ${why}`);
  }
  return out;
}

/** Why a label-count sweep record is stale (a U-Net record made before a fix its numbers depend on), or null. */
export function staleSweepRecord(r: { method: string; codeVersions?: unknown }): string | null {
  return r.method === 'unet' ? unetResultStale(r.codeVersions) : null;
}

/** A sweep's stale records (U-Net records made before a fix their numbers depend on) and why; null when none. */
export function staleSweepSummary(records: readonly { method: string; codeVersions?: unknown }[]): { records: number; why: string[] } | null {
  const why = records.map((r) => staleSweepRecord(r)).filter((w): w is string => w !== null);
  return why.length ? { records: why.length, why: [...new Set(why)] } : null;
}

/**
 * Why a results document is stale, one reason per stale part (empty when current or when nothing in it depends on a
 * fixed code): its U-Net Table 1 entries, a U-Net kind's own file (`kindFolder`: the folder it sits in), a mask
 * reconstruction's U-Net head, a sweep's U-Net records.
 */
export function staleResultReasons(doc: unknown, kindFolder: string): string[] {
  const d = doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  const kindFile = d.table1 ? null : staleKindResult(kindFolder, d.codeVersions);
  const maskHead = d.schema === 'semantic-srn/mask-reconstruction@1' ? (d.heads as { unet?: { codeVersions?: unknown } } | undefined)?.unet : undefined;
  const maskStale = maskHead ? unetResultStale(maskHead.codeVersions) : null;
  const records = Array.isArray(d.records) ? (d.records as { method: string; codeVersions?: unknown }[]) : [];
  return [
    ...staleTable1Entries(d),
    ...(kindFile ? [`${kindFolder}: ${kindFile}`] : []),
    ...(maskStale ? [`U-Net head: ${maskStale}`] : []),
    ...(staleSweepSummary(records)?.why ?? []).map((w) => `U-Net records: ${w}`),
  ];
}
