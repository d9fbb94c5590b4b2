/**
 * Fault injection for the crash tests (test/faults/): `SRN_FAULT_KILL_AT=<point>[@<n>]` makes the process
 * SIGKILL itself the n-th time (default 1st) it reaches the named point, so a test can stop a real
 * writer at an exact instant between two renames. Unset (always, outside tests) it costs one env lookup.
 */
const hits = new Map<string, number>();

export function faultPoint(name: string): void {
  const spec = process.env.SRN_FAULT_KILL_AT;
  if (!spec) return;
  const [point, nth] = spec.split('@');
  if (point !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
