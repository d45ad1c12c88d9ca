/**
 * POST /v1/identify under load: a real `gloves run` (test pattern camera, so the frame loop costs
 * little and the API gets the CPU) with its HTTP API, and `clients` concurrent clients posting
 * one shared cat photo for `seconds`.
 *
 * usage: node --import tsx bench/http-identify.ts [--seconds S=20] [--clients C=4]
 * Prints JSON: requests, errors, req_per_s, latency_ms {p50, p99, max}.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { catsDir } from '../test/helpers/paths.js';
import { startHttpDaemon } from '../test/http/support/http-daemon.js';

export interface HttpIdentifyResult {
  clients: number;
  seconds: number;
  requests: number;
  errors: number;
  req_per_s: number;
  latency_ms: { p50: number; p99: number; max: number };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export async function benchHttpIdentify(opts: { seconds?: number; clients?: number } = {}): Promise<HttpIdentifyResult> {
  const seconds = opts.seconds ?? 20;
  const clients = opts.clients ?? 4;
  const image = new Uint8Array(readFileSync(join(catsDir, 'appy', '01.jpg')));
  const d = await startHttpDaemon({
    camera: 'test://ball',
    env: { GLOVES_HTTP__RATE_LIMIT_PER_MINUTE: '1000000' },
  });
  const latencies: number[] = [];
  let errors = 0;
  try {
    const post = (): Promise<Response> => d.api('/v1/identify', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: image });
    // Warm-up: the first inference allocates the sessions' buffers.
    for (let i = 0; i < 3; i++) await (await post()).arrayBuffer();
    const end = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          const res = await post();
          await res.arrayBuffer();
          if (res.status === 200) latencies.push(performance.now() - s);
          else errors++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      clients,
      seconds: r1(elapsed),
      requests: latencies.length,
      errors,
      req_per_s: r1(latencies.length / elapsed),
      latency_ms: { p50: r1(quantile(latencies, 0.5)), p99: r1(quantile(latencies, 0.99)), max: r1(latencies.at(-1) ?? NaN) },
    };
  } finally {
    await d.stop();
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, clients: { type: 'string' } } });
  const result = await benchHttpIdentify({ seconds: Number(values.seconds ?? 20), clients: Number(values.clients ?? 4) });
  console.log(JSON.stringify(result, null, 2));
}
