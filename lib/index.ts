/**
 * Public API of semantic-srn: what a notebook or a script needs, grouped by area (docs/architecture.md has the
 * floors). Everything else stays internal: import it from its module (e.g. `lib/srn/ops`) when you need it.
 * test/api/public_api.ts type-checks this surface.
 */

// ---- backend: pick once, before anything else runs
export { selectBackend, describeBackend, nativeThreadsForPreset, parseBackendChoice, type BackendReport, type BackendChoice, type ConcreteBackend } from './backend/select';

// ---- configuration: presets and validated overrides
export { presetConfig, PRESET_NAMES, type PresetName } from './config/presets';
export { resolveConfig, validateConfig } from './config/resolve';
export { DEFAULT_CONFIG, PAPER_SCHEDULE, RELEASED_SCRIPT_SCHEDULE, SINGLE_VIEW_INDEX } from './config/defaults';
export type { SrnConfig, ModelConfig, DeepPartial, LossWeights, SegHeadKind } from './config/types';

// ---- data: the official on-disk format, the built-in generator, few-shot draws
export { openSplit, subsetSplit } from './data/split';
export { loadView, ViewCache } from './data/view_loader';
export { selectFewShot, selectLabelSubset, type FewShotSelection, type FewShotOptions } from './data/sampler';
export type { SplitInfo, SplitName, InstanceRecord, LoadedView } from './data/types';
export { ensureSyntheticDataset, generateSplit, type EnsureSyntheticOptions } from './data/synthetic/generate';
export { SYNTHETIC_CLASSES, CLASS_NAMES, type SyntheticClass } from './data/synthetic/classes';

// ---- geometry and files
export { lookAt, orbitPoses, archimedeanSpiralPoses, type Intrinsics, type Mat4 } from './geometry/cameras';
export { readPng, writePng, type RgbaImage } from './io/png';
export { readNpy, writeNpy } from './io/npy';
export { readTorchStateDict, type TorchTensor } from './io/torch_checkpoint';

// ---- the model and its training
export { SrnModel, countParameters } from './srn/model';
export { renderViews, interpolateCodes, type RenderedView } from './srn/render';
export { pretrain, trainSemantic, fitLinearProbe, fitLatentCodes, type StageOptions, type StageResult } from './training/stages';
export { splitSource, memorySource, type ObservedView, type BatchSource } from './training/data';
export { saveCheckpoint, loadCheckpoint, restoreModel } from './training/checkpoint';
export { authorsModel, type AuthorsLayout, type AuthorsModel, type AuthorsWeightsSource } from './training/authors_weights';
export { stderrProgress, type ProgressCallback } from './training/progress';

// ---- evaluation, metrics and Table 1
export { evaluate, evalMetrics, formatResults, writeResultsJson, type EvalResults, type Predictor } from './eval/runner';
export { protocolSpec, type ProtocolName } from './eval/protocols';
export { evalJournalPaths, srnPredictor, type SrnPredictor } from './eval/srn_predictor';
export { majorityForegroundClass } from './eval/trivial';
export {
  PAPER_TABLE1,
  PAPER_TABLE1_SOURCE,
  TABLE1_COLUMN_IDS,
  paperColumn,
  table1Entry,
  collectTable1Rows,
  pickTable1Rows,
  table1Records,
  table1ChartSpec,
  table1Differences,
  table1DifferenceMarkdown,
  type Table1ColumnId,
  type Table1Difference,
  type Table1Entry,
  type Table1Row,
  type Table1Record,
} from './eval/table1';
// Notebook 04 says when a sweep it reads holds stale U-Net records.
export { staleSweepSummary } from './eval/result_code';
export { SegmentationScores } from './metrics/segmentation';
export { psnr, PsnrScores } from './metrics/psnr';
export { formatMeanCI, meanCI, median, pairedDifferenceCI, signedCI, tQuantile975, type MeanCI } from './metrics/stats';

// ---- the pipeline: data → pre-train → probe → fit → evaluate → report
export { prepareSplits, datasetClassFolder, type PreparedSplits } from './pipeline/data';
export { drawFewShot, observedViews, type FewShotDraw } from './pipeline/few_shot';
export { pretrainStage, probeStage, evaluateStage, type StageContext, type EvaluateStageResult } from './pipeline/srn_stages';
export { runQuickstart, quickstartConfig, type QuickstartOptions, type QuickstartResult } from './pipeline/quickstart';

// ---- baselines: TCO+linear, 2-D U-Nets, SRN+U-Net, the Table 1 comparison
export { runBaseline, type BaselineRunOptions, type BaselineRunSummary } from './baselines/run';
export { BASELINE_KINDS, finishedBaseline, type BaselineKind } from './baselines/finished_baseline';
export { runTable1Comparison } from './baselines/compare';
export { baselineConfig, type BaselineConfig } from './baselines/config';

// ---- experiments as data (experiments/*.json): one function per experiment
export { loadExperimentConfig, withClassAndSeeds } from './experiments/config_loader';
export { EXPERIMENT_NAMES, SCALES, SCALE_PRESETS, type ExperimentConfig, type ExperimentName, type Scale } from './experiments/types';
export { notebookRunOptions, experimentRunPath, type ExperimentOptions, type ExperimentOutput } from './experiments/common';
export { runExperiment, runTable1 } from './experiments/registry';
export { planTable1, describeTable1Step, type Table1Step } from './experiments/table1';
export { objectParts, objectKind, labelledKind, perObjectScores, table1PerObject, type PerObject } from './eval/object_kind';
export { runSemiSupervisedProbe, type SemiSupervisedProbeResult } from './experiments/semi_supervised_probe';
export { runLabelCountSweep, sweepDifferences, sweepRenderName, type SweepDifference, type SweepRecord } from './experiments/label_count_sweep';
export { readSweep, sweepCells, planSweep, type SweepSource, type SweepCell, type SweepPoint } from './experiments/sweep_state';
export { runsStatus, formatRunsStatus, type RunsStatus } from './experiments/runs_status';
export { runInterpolation } from './experiments/interpolation';
export { runMaskReconstruction } from './experiments/mask_reconstruction';
export { runBaselineExperiment, baselineClassRecords, baselineRowsTable } from './experiments/baseline_experiments';

// ---- experiment tracking (MLflow)
export { createTracker, createMemoryTracker, NullTracker } from './tracking/create_tracker';
export { syncLocalStore } from './tracking/sync';
export type { Tracker, RunHandle } from './tracking/types';

// ---- figures, charts and results tables
export { labelPalette, classPalette, classPaletteRgb, rgbToHex } from './plotting/palette';
export { labelsToImage, rgbaToImage } from './plotting/label_images';
export { comparisonGrid, writeComparisonGrid } from './plotting/comparison_grid';
export { writeLabelledPointCloudPly } from './plotting/point_cloud_ply';
export { lossCurvesSpec, perClassIouSpec, miouVsLabelsSpec, type ClassIouRecord } from './plotting/vegalite_specs';
export { summarizeSeeds, type LabelSweepRecord } from './plotting/stats';
export { imageGridSvg, composeGrid } from './plotting/image_grid';
export { curvesFigure, pointCloudFigure } from './plotting/plotly_figures';
export { showBundle, showVegaLite, showPlotly, showImageGrid } from './plotting/display';
export { saveFigure, savePlotlyHtml } from './plotting/save';
export { resultsTable, showTable, saveTable, readTableCsv } from './plotting/results_table';

// ---- utilities
export { Rng } from './util/random';
