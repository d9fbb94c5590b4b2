/**
 * Compile-only tests of the public API (lib/index.ts): `npm run typecheck` fails when a signature a notebook relies
 * on changes or an internal leaks into the index. Nothing here runs.
 */
import type * as api from '../../lib';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// The pipeline: typed options in, typed result out; the backend is the caller's (optional) report.
export type Quickstart = [
  Expect<Equal<Parameters<typeof api.runQuickstart>, [api.QuickstartOptions]>>,
  Expect<Equal<Awaited<ReturnType<typeof api.runQuickstart>>, api.QuickstartResult>>,
  Expect<Equal<api.QuickstartOptions['backend'], api.BackendReport | undefined>>,
  Expect<Equal<api.QuickstartResult['results'], api.EvalResults>>,
  Expect<Equal<ReturnType<typeof api.quickstartConfig>, api.SrnConfig>>,
  Expect<Equal<Awaited<ReturnType<typeof api.prepareSplits>>, api.PreparedSplits>>,
  Expect<Equal<ReturnType<typeof api.drawFewShot>, api.FewShotDraw>>,
  Expect<Equal<Awaited<ReturnType<typeof api.evaluateStage>>, api.EvaluateStageResult>>,
];

// Table 1 is keyed by column id; the paper's numbers are [mIOU, shape-mIOU] or null where lost.
export type Table1 = [
  Expect<Equal<api.Table1ColumnId, 'tco-linear' | 'srn-linear' | 'unet-30shot' | 'srn-unet-single' | 'srn-unet-multi' | 'unet-oracle'>>,
  Expect<Equal<ReturnType<typeof api.paperColumn>['chair'], [number, number] | null>>,
  Expect<Equal<api.Table1Entry['id'], api.Table1ColumnId>>,
  Expect<Equal<ReturnType<typeof api.collectTable1Rows>, api.Table1Row[]>>,
];

// Experiments and baselines as notebooks call them.
export type Experiments = [
  Expect<Equal<Parameters<typeof api.runTable1>[0], api.ExperimentConfig<'table-1'>>>,
  Expect<Equal<Parameters<typeof api.loadExperimentConfig>[1], api.Scale | undefined>>,
  Expect<Equal<api.BaselineRunOptions['backend'], api.BackendReport | undefined>>,
  Expect<Equal<Awaited<ReturnType<typeof api.runBaseline>>, api.BaselineRunSummary>>,
  Expect<Equal<Awaited<ReturnType<typeof api.selectBackend>>, api.BackendReport>>,
];

// Internals stay internal: kernels, optimiser internals, the loss terms and file-format helpers are module imports.
// @ts-expect-error the gradient clamp is an SRN internal
export type Internal1 = typeof api.clampGradient;
// @ts-expect-error DenseAdam is the trainer's
export type Internal2 = typeof api.DenseAdam;
// @ts-expect-error wasm kernel fixes are the backend's
export type Internal3 = typeof api.installWasmKernelFixes;
// @ts-expect-error the step-record helper is the pipeline's
export type Internal4 = typeof api.numericMetrics;
