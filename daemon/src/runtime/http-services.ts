/**
 * The daemon's side of the HTTP API's ports (http/ports.ts): health and metrics read from the
 * running parts. Built by wiring.ts; reads happen per request, never cached.
 */
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { HealthCheck, HealthProbe, HealthReport, MetricsSnapshot, MetricsSource } from '../http/ports.js';
import type { CameraHealthView } from './camera-health.js';
import type { Cameras } from './cameras.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RecognitionService } from './recognition-service.js';
import type { VisitorRecorder } from './visitor-recorder.js';

/** Below this much free space where the state lives the disk check fails (the outbox and snapshots need room). */
export const DISK_MIN_FREE_BYTES = 64 * 1024 * 1024;
/** This many consecutive failed frames make inference `failing` (the daemon exits at 20). */
const FAILING_AFTER_FRAMES = 3;

export interface HealthParts {
  cameras: Cameras;
  recognition: RecognitionService;
  metrics: RuntimeMetrics;
  mqttConnected(): boolean;
  stateDir: string;
}

const ok = (reason?: string): HealthCheck => (reason ? { status: 'ok', reason } : { status: 'ok' });
const failing = (reason: string): HealthCheck => ({ status: 'failing', reason });

export class DaemonHealth implements HealthProbe {
  private readonly p: HealthParts;

  constructor(parts: HealthParts) {
    this.p = parts;
  }

  async health(): Promise<HealthReport> {
    const now = performance.now();
    const cams = this.p.cameras.list.map((p) => ({ id: p.id, check: cameraCheck(p.health.view(now)) }));
    const bad = cams.filter((c) => c.check.status !== 'ok');
    const { consecutive, lastError } = this.p.metrics.failures();
    return {
      camera:
        bad.length === 0
          ? ok()
          : failing(cams.length === 1 ? bad[0]!.check.reason! : bad.map((c) => `${c.id}: ${c.check.reason}`).join('; ')),
      cameras: Object.fromEntries(cams.map((c) => [c.id, c.check])),
      inference: !this.p.recognition.started
        ? failing('models not loaded')
        : consecutive >= FAILING_AFTER_FRAMES
          ? failing(`${consecutive} consecutive frames failed: ${lastError}`)
          : ok(),
      mqtt: this.p.mqttConnected() ? ok() : failing('not connected to the broker (events wait in the outbox)'),
      disk: await diskCheck(this.p.stateDir),
    };
  }
}

function cameraCheck(v: CameraHealthView): HealthCheck {
  switch (v.state) {
    case 'online':
      return ok();
    case 'lost':
      return failing(`camera lost since ${v.since}: ${v.error ?? 'no frames'}`);
    case 'failed':
      return failing(`camera failed at ${v.since}: ${v.error ?? 'unknown error'} (until the daemon restarts)`);
    case 'ended':
      // A file source read to its end is done, not broken (tests, demos, offline runs).
      return ok(`camera source ended at ${v.since}`);
  }
}

async function diskCheck(stateDir: string): Promise<HealthCheck> {
  let dir = resolve(stateDir);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const mib = `${Math.round(free / 2 ** 20)} MiB free at ${dir}`;
    return free < DISK_MIN_FREE_BYTES ? failing(`${mib}: too little for the outbox and snapshots`) : ok(mib);
  } catch (err) {
    return failing(`cannot stat ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export interface MetricsParts {
  metrics: RuntimeMetrics;
  recognition: RecognitionService;
  visitors: VisitorRecorder;
  outboxDepth(): number;
  version: string;
}

export class DaemonMetrics implements MetricsSource {
  private readonly p: MetricsParts;

  constructor(parts: MetricsParts) {
    this.p = parts;
  }

  metrics(): MetricsSnapshot {
    const r = this.p.recognition;
    return {
      ...this.p.metrics.snapshot(),
      outboxDepth: this.p.outboxDepth(),
      pets: r.started ? r.gallery.pets().length : 0,
      visitors: this.p.visitors.visitors?.list().length ?? 0,
      build: { version: this.p.version, node: process.version, backend: r.backendName ?? 'none' },
    };
  }
}
