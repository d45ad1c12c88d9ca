/** Runs the real `gloves` CLI (dist build) as a child process and watches its output. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cliPath, repoRoot } from '../../helpers/paths.js';

export interface RunningDaemon {
  child: ChildProcess;
  output(): string;
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): RunningDaemon {
  const child = spawn(process.execPath, [cliPath, 'run', ...args], {
    cwd: repoRoot,
    // No HTTP API unless a test asks for one: parallel daemons would all want 127.0.0.1:8080.
    env: { ...process.env, GLOVES_HTTP__LISTEN: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited: () => exit,
    waitForLine: (re, timeoutMs) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; daemon output:\n${out.slice(-6000)}`)),
          timeoutMs,
        );
        const check = (): void => {
          const m = out.split('\n').find((l) => re.test(l));
          if (m !== undefined) {
            clearTimeout(t);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(t);
            reject(new Error(`daemon exited (${child.exitCode ?? child.signalCode}) before ${re}; output:\n${out.slice(-6000)}`));
          } else waiters.push(check);
        };
        check();
        child.once('exit', () => waiters.splice(0).forEach((w) => w()));
      }),
  };
}

/** Runs a one-shot CLI command; returns its exit code and output. */
export function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 300_000,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, GLOVES_LOG_LEVEL: 'warn', GLOVES_HTTP__LISTEN: 'off', ...env },
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Slide {
  /** A photo path, or 'blank' for an empty grey frame. */
  image: string;
  /** How many consecutive slides show it. */
  copies: number;
}

/** Writes a slideshow directory: each image letterboxed into width x height (no stretching), as NNN.jpg. */
export async function buildSlideshow(dir: string, slides: readonly Slide[], width = 640, height = 480): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const s of slides) {
    const jpeg =
      s.image === 'blank'
        ? await sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
            .jpeg()
            .toBuffer()
        : await sharp(s.image)
            .rotate()
            .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
            .removeAlpha()
            .jpeg({ quality: 92 })
            .toBuffer();
    for (let i = 0; i < s.copies; i++) await sharp(jpeg).toFile(join(dir, `${String(n++).padStart(3, '0')}.jpg`));
  }
  return n;
}
