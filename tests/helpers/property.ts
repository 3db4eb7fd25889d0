/**
 * Property test runs, bounded so that the suite stays fast on a loaded machine; set
 * PROPERTY_RUNS_SCALE (e.g. 10) for a deeper search when changing the code under test.
 */
export function runs(base: number): number {
  const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
