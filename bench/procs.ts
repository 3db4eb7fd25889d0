import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

// Linux's clock ticks per second for /proc times (getconf CLK_TCK; 100 on every common kernel).
const TICKS = 100;

function stat(pid: number | string): { comm: string; own: number; children: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields are counted after it.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { comm: text.slice(text.indexOf('(') + 1, close), own: utime! + stime!, children: cutime! + cstime! };
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far (user + system), or null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  const s = stat(pid);
  return s ? s.own / TICKS : null;
}

/** Peak resident memory of a process (VmHWM), in MiB. */
export function peakMemoryMiB(pid: number): number | null {
  try {
    const kib = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of every PostgreSQL process of the machine: each one's own time plus the time of
 * its children that ended (the postmaster collects its exited backends), so that a delta between
 * two readings counts backends that came and went in between.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const s = stat(pid);
    if (s?.comm === 'postgres') ticks += s.own + s.children;
  }
  return ticks / TICKS;
}

/** CPU seconds the Redis server has used (INFO cpu). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return ['used_cpu_sys', 'used_cpu_user'].reduce(
    (sum, key) => sum + Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0),
    0,
  );
}
