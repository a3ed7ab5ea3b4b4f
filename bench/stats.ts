// Summaries of repeated measurements: rounds are noisy, so every figure is a median with its spread.

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: number[]) => percentile(values, 50);

export interface Figure {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function figure(rounds: number[]): Figure {
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** Spread as ± percent of the median: half the min–max range. */
export function spreadPercent(f: Figure): number {
  return f.median ? ((f.max - f.min) / 2 / Math.abs(f.median)) * 100 : 0;
}
