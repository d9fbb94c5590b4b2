/**
 * Links into the MLflow UI that land on the training runs. MLflow 3.17's UI ignores the experiment's
 * `mlflow.experimentKind` tag: its sidebar switch ("GenAI" / "Machine learning", kept in the browser's
 * localStorage, default GenAI) decides, so a bare experiment link opens the LLM Traces page. The
 * `workflowType=machine_learning` query parameter overrides the stored switch for that page (read from
 * the UI bundle's workflow-type provider). The tag is still set at creation for the 3.x UIs that read it.
 */
const LANDING = 'workflowType=machine_learning';

/** `#/experiments/<id>/runs[/<run>]?workflowType=machine_learning`, the part after the server's address. */
export function mlflowUiFragment(experimentId: string, runId?: string): string {
  if (!/^[\w-]+$/.test(experimentId)) throw new Error(`mlflowUiFragment: experiment id '${experimentId}' is not an MLflow id`);
  if (runId !== undefined && !/^[0-9a-f]{32}$/.test(runId)) throw new Error(`mlflowUiFragment: run id '${runId}' is not 32 hex digits`);
  return `#/experiments/${experimentId}/runs${runId ? `/${runId}` : ''}?${LANDING}`;
}

/**
 * The UI address of an experiment's runs (or one run) on a tracking server; for a local store (no
 * server), the address under `mlflow ui` on its default port and the command that serves it.
 */
export function mlflowUiLink(trackingUri: string, experimentId: string, runId?: string): { url: string; serve?: string } | undefined {
  if (!experimentId) return undefined; // a null tracker
  // Printed at the end of long runs: an id we cannot link gets no link rather than an error.
  let frag: string;
  try {
    frag = mlflowUiFragment(experimentId, runId);
  } catch {
    return undefined;
  }
  if (/^https?:\/\//.test(trackingUri)) return { url: `${trackingUri.replace(/\/+$/, '')}/${frag}` };
  if (trackingUri.startsWith('null:') || trackingUri.startsWith('memory:')) return undefined;
  const dir = trackingUri.startsWith('file://') ? trackingUri : `file://${trackingUri}`;
  return { url: `http://127.0.0.1:5000/${frag}`, serve: `MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ${dir}` };
}

/** One line for a CLI: `MLflow UI: <url>` (+ how to serve a local store), or nothing without a tracker. */
export function mlflowUiLine(trackingUri: string, experimentId: string, runId?: string): string | undefined {
  const link = mlflowUiLink(trackingUri, experimentId, runId);
  if (!link) return undefined;
  return link.serve ? `MLflow UI: ${link.url} (after: ${link.serve})` : `MLflow UI: ${link.url}`;
}
