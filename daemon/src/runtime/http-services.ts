/**
 * The daemon's side of the HTTP API's ports (http/ports.ts): health and metrics read from the
 * running parts. Built by wiring.ts; reads happen per request, never cached.
 */
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { HealthCheck, HealthProbe, HealthReport, MetricsSnapshot, MetricsSource } from '../http/ports.js';
import type { CameraHealth } from './camera-health.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RecognitionService } from './recognition-service.js';
import type { VisitorRecorder } from './visitor-recorder.js';

/** Below this much free space where the state lives the disk check fails (the outbox and snapshots need room). */
export const DISK_MIN_FREE_BYTES = 64 * 1024 * 1024;
/** This many consecutive failed frames make inference `failing` (the daemon exits at 20). */
const FAILING_AFTER_FRAMES = 3;

export interface HealthParts {
  camera: CameraHealth;
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
    const cam = this.p.camera.view(performance.now());
    const { consecutive, lastError } = this.p.metrics.failures();
    return {
      camera: cam.state === 'lost' ? failing(`camera lost since ${cam.since}: ${cam.error ?? 'no frames'}`) : ok(),
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
