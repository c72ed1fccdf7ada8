import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ on Linux

/** VmRSS and VmHWM (bytes) of a process, or null once it is gone. */
export function readMemory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used, or null once it is gone. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function readMachineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ResourceReport {
  /** Highest VmRSS sampled during the window (bytes). */
  peakRss: number | null;
  /** VmRSS at the start of the window. */
  startRss: number | null;
  /** VmHWM at the end: the process's lifetime peak. */
  hwm: number | null;
  /** Server process CPU over the window, in cores (1.0 = one core fully busy). */
  serverCpuCores: number | null;
  /** Other processes' CPU over the window, in cores: the bench itself, PostgreSQL backends, Redis... */
  otherCpuCores: Record<string, number | null>;
  /** Whole machine, in cores busy (every tenant of this shared machine included). */
  machineCpuCores: number;
  seconds: number;
}

/** Processes to watch besides the server: fixed pids, or groups listed at the start and the end. */
export interface Watched {
  pids?: Record<string, number>;
  groups?: Record<string, () => Promise<number[]>>;
}

/**
 * Samples a server's RSS every `intervalMs` and measures CPU over a window: VmHWM is the
 * process's lifetime peak, so the per-window peak comes from the VmRSS samples.
 */
export class ResourceSampler {
  private timer: NodeJS.Timeout | null = null;
  private peak = 0;
  private started = 0;
  private startRss: number | null = null;
  private startCpu: number | null = null;
  private startMachine = { busy: 0, total: 0 };
  private readonly startPids = new Map<string, number | null>();
  private readonly startGroups = new Map<string, Map<number, number>>();
  private startSelf = process.cpuUsage();

  private constructor(
    private readonly pid: number,
    private readonly watched: Watched,
  ) {}

  static async start(pid: number, watched: Watched = {}, intervalMs = 100): Promise<ResourceSampler> {
    const sampler = new ResourceSampler(pid, watched);
    for (const [name, list] of Object.entries(watched.groups ?? {})) {
      const cpu = new Map<number, number>();
      for (const member of await list().catch(() => [])) cpu.set(member, readCpuSeconds(member) ?? 0);
      sampler.startGroups.set(name, cpu);
    }
    sampler.started = performance.now();
    sampler.startSelf = process.cpuUsage();
    const memory = readMemory(pid);
    sampler.startRss = memory?.rss ?? null;
    sampler.peak = memory?.rss ?? 0;
    sampler.startCpu = readCpuSeconds(pid);
    sampler.startMachine = readMachineJiffies();
    for (const [name, otherPid] of Object.entries(watched.pids ?? {})) sampler.startPids.set(name, readCpuSeconds(otherPid));
    sampler.timer = setInterval(() => sampler.sample(), intervalMs);
    sampler.timer.unref();
    return sampler;
  }

  private sample(): void {
    const memory = readMemory(this.pid);
    if (memory && memory.rss > this.peak) this.peak = memory.rss;
  }

  async stop(): Promise<ResourceReport> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const seconds = (performance.now() - this.started) / 1000;
    const endCpu = readCpuSeconds(this.pid);
    const machine = readMachineJiffies();
    const self = process.cpuUsage(this.startSelf);
    const otherCpuCores: Record<string, number | null> = { bench: (self.user + self.system) / 1e6 / seconds };
    for (const [name, otherPid] of Object.entries(this.watched.pids ?? {})) {
      const before = this.startPids.get(name);
      const after = readCpuSeconds(otherPid);
      otherCpuCores[name] = before != null && after != null ? (after - before) / seconds : null;
    }
    for (const [name, list] of Object.entries(this.watched.groups ?? {})) {
      const before = this.startGroups.get(name) ?? new Map<number, number>();
      // Members that started within the window count whole; members that ended within it are lost.
      let used = 0;
      for (const member of await list().catch(() => [])) used += (readCpuSeconds(member) ?? 0) - (before.get(member) ?? 0);
      otherCpuCores[name] = used / seconds;
    }
    const totalJiffies = machine.total - this.startMachine.total;
    const busyJiffies = machine.busy - this.startMachine.busy;
    // /proc/stat's first line sums all CPUs: busy share times the number of CPUs = cores busy.
    const cpus = totalJiffies / (seconds * CLOCK_TICKS_PER_SEC);
    return {
      peakRss: this.peak || null,
      startRss: this.startRss,
      hwm: readMemory(this.pid)?.hwm ?? null,
      serverCpuCores: this.startCpu !== null && endCpu !== null ? (endCpu - this.startCpu) / seconds : null,
      otherCpuCores,
      machineCpuCores: totalJiffies > 0 ? (busyJiffies / totalJiffies) * cpus : 0,
      seconds,
    };
  }
}
