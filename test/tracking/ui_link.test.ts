import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlflowUiFragment, mlflowUiLine, mlflowUiLink } from '../../lib/tracking/ui_link';

const RUN = '0123456789abcdef0123456789abcdef';

test('UI links open the runs page in the machine-learning workflow', () => {
  assert.equal(mlflowUiFragment('7'), '#/experiments/7/runs?workflowType=machine_learning');
  assert.equal(mlflowUiFragment('7', RUN), `#/experiments/7/runs/${RUN}?workflowType=machine_learning`);
  assert.deepEqual(mlflowUiLink('http://127.0.0.1:5000/', '3'), { url: 'http://127.0.0.1:5000/#/experiments/3/runs?workflowType=machine_learning' });
  assert.equal(mlflowUiLine('https://mlflow.example/base', '3', RUN), `MLflow UI: https://mlflow.example/base/#/experiments/3/runs/${RUN}?workflowType=machine_learning`);
});

test('a local store gets the mlflow ui command that serves it; no tracker, no link', () => {
  const l = mlflowUiLink('file:///work/mlruns', '0')!;
  assert.equal(l.url, 'http://127.0.0.1:5000/#/experiments/0/runs?workflowType=machine_learning');
  assert.equal(l.serve, 'MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri file:///work/mlruns');
  assert.equal(mlflowUiLine('null:', ''), undefined);
  assert.equal(mlflowUiLink('memory:', '1'), undefined);
});

test('ids that are not MLflow ids are refused', () => {
  assert.throws(() => mlflowUiFragment('1/../x'), /experiment id '1\/..\/x' is not an MLflow id/);
  assert.throws(() => mlflowUiFragment('1', 'run-1'), /run id 'run-1' is not 32 hex digits/);
  assert.equal(mlflowUiLink('http://h:1', '1', 'run-1'), undefined); // no link, no error at the end of a run
});
