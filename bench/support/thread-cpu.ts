/**
 * CPU seconds per thread of a process, grouped by thread name, from
 * /proc/PID/task/TID/{comm,stat} (Linux): where a process's CPU goes between
 * two snapshots (the JS main thread, onnxruntime's pool, GStreamer's
 * streaming threads, libuv's pool...). Threads that ended between the
 * snapshots are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export type ThreadSnapshot = Map<string, { name: string; seconds: number }>;

export function threadSnapshot(pid: number | 'self' = 'self'): ThreadSnapshot {
  const out: ThreadSnapshot = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND });
    } catch {
      // The thread ended while we read it.
    }
  }
  return out;
}

/**
 * CPU seconds between two snapshots by thread name, the main thread (tid = pid)
 * as "main"; names sorted by cost. Rounded to 0.01 s.
 */
export function threadCpuDelta(a: ThreadSnapshot, b: ThreadSnapshot, pid: number): Record<string, number> {
  const by = new Map<string, number>();
  for (const [tid, t] of b) {
    const d = t.seconds - (a.get(tid)?.seconds ?? 0);
    if (d <= 0) continue;
    const key = Number(tid) === pid ? 'main' : t.name;
    by.set(key, (by.get(key) ?? 0) + d);
  }
  return Object.fromEntries([...by].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, Math.round(v * 100) / 100]));
}
