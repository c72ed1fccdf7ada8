import { availableParallelism } from 'node:os';
import type { ScenarioOutcome, ScenarioRow } from './context.js';
import type { ResourceReport } from './proc.js';
import { formatMiB, formatMs, formatRate, table } from './stats.js';

export function formatRatio(ratio: number | null): string {
  return ratio === null ? '-' : `${ratio.toFixed(3)}x`;
}

export function describeResources(resources: ResourceReport | undefined): string {
  if (!resources) return '';
  const cores = (value: number | null | undefined) => (value === null || value === undefined ? '?' : value.toFixed(2));
  const others = Object.entries(resources.otherCpuCores)
    .map(([name, value]) => `${name} ${cores(value)}`)
    .join(', ');
  return `CPU (cores busy): server ${cores(resources.serverCpuCores)}, ${others}, whole machine ${cores(resources.machineCpuCores)}`;
}

/**
 * Server CPU milliseconds per counted operation: far less sensitive than throughput to how much
 * of the machine other tenants took (they lower the rate, not the work one request costs).
 */
export function cpuPerOperationMs(row: ScenarioRow, who = 'server'): number | null {
  const resources = row.resources;
  if (!resources || !row.operations) return null;
  const cores = who === 'server' ? resources.serverCpuCores : resources.otherCpuCores[who];
  if (cores === null || cores === undefined) return null;
  return (cores * resources.seconds * 1000) / row.operations;
}

const PROCESS_NAMES: Record<string, string> = { postgres: 'PostgreSQL', redis: 'Redis', bench: 'load generator', sockets: 'socket clients' };

/**
 * Every measured process's CPU per operation, their sum, and the rate the machine's cores could
 * carry at that cost if they did nothing else: where the time of one operation goes, and its limit.
 */
export function cpuBudget(row: ScenarioRow): string | null {
  const server = cpuPerOperationMs(row);
  if (server === null || !row.resources) return null;
  const parts: Array<[string, number]> = [['server', server]];
  for (const name of Object.keys(row.resources.otherCpuCores)) {
    const ms = cpuPerOperationMs(row, name);
    if (ms !== null) parts.push([PROCESS_NAMES[name] ?? name, ms]);
  }
  const total = parts.reduce((sum, [, ms]) => sum + ms, 0);
  if (total <= 0) return null;
  const cores = availableParallelism();
  return (
    `CPU budget per operation: ${parts.map(([name, ms]) => `${name} ${formatMs(ms)}`).join(' + ')} = ${formatMs(total)} ms; ` +
    `${cores} cores doing only this could carry ~${formatRate((cores * 1000) / total)}/s`
  );
}

/** The lines printed as soon as a row is measured. */
export function rowLines(row: ScenarioRow): string[] {
  const lines = [
    `  ${row.label}: ${formatRate(row.throughput)} ${row.unit}` +
      (row.ratio === null ? '' : `   = ${formatRatio(row.ratio)} the ceiling`),
    `    latency ms: p50 ${formatMs(row.latency.p50)}  p95 ${formatMs(row.latency.p95)}  p99 ${formatMs(row.latency.p99)}  max ${formatMs(row.latency.max)}  (n=${row.latency.count})`,
  ];
  if (row.peakRss !== null) {
    lines.push(
      `    server RSS: peak ${formatMiB(row.peakRss)} during the measurement (at its start ${formatMiB(row.resources?.startRss)}; VmHWM lifetime ${formatMiB(row.resources?.hwm)})`,
    );
  }
  const cpu = describeResources(row.resources);
  if (cpu) lines.push(`    ${cpu}`);
  const perOp = cpuPerOperationMs(row);
  if (perOp !== null) {
    const pg = cpuPerOperationMs(row, 'postgres');
    lines.push(`    CPU per operation: server ${formatMs(perOp)} ms` + (pg !== null ? `, PostgreSQL backends ${formatMs(pg)} ms` : ''));
    const budget = cpuBudget(row);
    if (budget) lines.push(`    ${budget}`);
  }
  for (const note of row.notes) lines.push(`    - ${note}`);
  return lines;
}

export function summaryTable(outcomes: ScenarioOutcome[]): string {
  const rows: string[][] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      rows.push([outcome.name, 'FAILED', '', '', '', '', '', '', '']);
      continue;
    }
    for (const row of outcome.rows) {
      rows.push([
        row.label,
        formatRate(row.throughput),
        row.unit,
        formatMs(row.latency.p50),
        formatMs(row.latency.p95),
        formatMs(row.latency.p99),
        formatMiB(row.peakRss),
        formatMs(cpuPerOperationMs(row) ?? NaN),
        formatRatio(row.ratio),
      ]);
    }
  }
  return table(['scenario', 'throughput', 'unit', 'p50 ms', 'p95 ms', 'p99 ms', 'peak RSS', 'srv CPU ms/op', 'vs ceiling'], rows);
}

/** JSON.stringify that turns typed arrays and non-finite numbers into something readable. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      if (ArrayBuffer.isView(v)) return `[${(v as unknown as ArrayLike<number>).length} values]`;
      return v;
    },
    2,
  );
}
