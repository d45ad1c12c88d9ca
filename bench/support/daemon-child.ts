/**
 * `gloves run` as a child process for the benchmarks that measure the daemon
 * from outside (idle CPU, soak): the real CLI with a config file, its log lines
 * kept, its periodic summary lines parsed, and its CPU time, memory and open
 * file descriptors read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../../test/helpers/paths.js';

export interface DaemonChild {
  readonly child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** Resolves once it logged `ready`; rejects when it exits first or after timeoutMs. */
  ready(timeoutMs?: number): Promise<void>;
  /** The fields of every `summary` log line so far, oldest first. */
  summaries(): Record<string, unknown>[];
  /** User + system CPU seconds it used so far (all threads). */
  cpuSeconds(): number;
  rssMb(): number;
  openFds(): number;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function startDaemonChild(dir: string, config: Record<string, unknown>): DaemonChild {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(/\s+/).filter(Boolean), cliPath, 'run', '--config', file],
    {
      cwd: repoRoot,
      env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const proc = (f: string): string => readFileSync(`/proc/${child.pid}/${f}`, 'utf8');
  return {
    child,
    log: () => out,
    async ready(timeoutMs = 120_000) {
      const t0 = Date.now();
      while (!/INFO gloves: ready/.test(out)) {
        if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode} before ready:\n${out}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`daemon not ready after ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    summaries: () => [...out.matchAll(/ summary (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>),
    cpuSeconds() {
      // Fields after the command name (which may hold spaces, so split after its closing paren).
      const f = proc('stat')
        .slice(proc('stat').lastIndexOf(')') + 2)
        .split(' ');
      return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    },
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(proc('status'))![1]) / 1024,
    openFds: () => readdirSync(`/proc/${child.pid}/fd`).length,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      return child.exitCode;
    },
  };
}
