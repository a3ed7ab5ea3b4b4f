// The suite's results: one row per figure, printed as a table and written as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { type Figure, figure, spreadPercent } from './stats.ts';

export interface Target {
  /** The ratio (or, with `of: 'lookout'`, Lookout's own figure) must be at most (≤) or at least (≥) this. */
  op: '<=' | '>=';
  value: number;
  of?: 'ratio' | 'lookout';
}

export interface Row {
  id: string;
  measure: string;
  unit: string;
  lookout: Figure;
  baseline?: { name: string; figure: Figure };
  /** Lookout ÷ baseline per round (or another ratio the target is about), median over rounds. */
  ratio?: { name: string; figure: Figure };
  target?: Target;
}

export interface Settings {
  quick: boolean;
  rounds: number;
}

export function row(
  id: string,
  measure: string,
  unit: string,
  lookout: number[],
  extra: { baseline?: [string, number[]]; ratio?: [string, number[]]; target?: Target } = {},
): Row {
  return {
    id,
    measure,
    unit,
    lookout: figure(lookout),
    baseline: extra.baseline && { name: extra.baseline[0], figure: figure(extra.baseline[1]) },
    ratio: extra.ratio && { name: extra.ratio[0], figure: figure(extra.ratio[1]) },
    target: extra.target,
  };
}

export function met(r: Row): boolean | null {
  const value = r.target?.of === 'lookout' ? r.lookout.median : r.ratio?.figure.median;
  if (!r.target || value === undefined) return null;
  return r.target.op === '<=' ? value <= r.target.value : value >= r.target.value;
}

const num = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
const withSpread = (f: Figure) => `${num(f.median)} ±${spreadPercent(f).toFixed(0)}%`;

export function printTable(rows: Row[]): void {
  const lines = [['Measure', 'Lookout', 'Baseline', 'Ratio', 'Target', 'Met']];
  for (const r of rows) {
    const ok = met(r);
    lines.push([
      r.measure,
      `${withSpread(r.lookout)} ${r.unit}`,
      r.baseline ? `${r.baseline.name}: ${withSpread(r.baseline.figure)}` : '',
      r.ratio ? `${num(r.ratio.figure.median)}× ±${spreadPercent(r.ratio.figure).toFixed(0)}%` : '',
      r.target ? `${r.target.op === '<=' ? '≤' : '≥'} ${r.target.value}${r.target.of === 'lookout' ? ` ${r.unit}` : '×'}` : '',
      ok === null ? '' : ok ? 'yes' : 'NO',
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((cell, c) => cell.padEnd(widths[c]!)).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export async function writeResults(file: string, settings: Settings, rows: Row[], notes: string[]): Promise<void> {
  await mkdir(new URL('.', `file://${file}`).pathname, { recursive: true });
  const results = { date: new Date().toISOString(), machine: machine(), settings, rows: rows.map((r) => ({ ...r, met: met(r) })), notes };
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
