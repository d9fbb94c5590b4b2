/** A memory tracker whose runs call `onMetrics` with every metric record and its step: a hook into a training loop. */
import { createMemoryTracker } from '../../lib/tracking/create_tracker';

export function hookedTracker(onMetrics: (record: Record<string, number>, step: number | undefined) => void) {
  const tracker = createMemoryTracker();
  const start = tracker.startRun.bind(tracker);
  tracker.startRun = async (o) => {
    const run = await start(o);
    const log = run.logMetrics.bind(run);
    run.logMetrics = (rec, step, ts) => {
      onMetrics(rec, step);
      log(rec, step, ts);
    };
    return run;
  };
  return tracker;
}
