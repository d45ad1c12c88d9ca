/**
 * The Prometheus text exposition format (version 0.0.4) of a MetricsSnapshot. Pure. Label values
 * are escaped (backslash, quote, newline) as the format requires; every family has HELP and TYPE.
 */
import type { MetricsSnapshot } from './ports.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

const num = (x: number): string => (Number.isFinite(x) ? String(x) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN');

export function renderPrometheus(m: MetricsSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  family('gloves_frames_total', 'counter', 'Frames processed, by result (animal: something detected, empty, failed).');
  for (const [result, n] of Object.entries(m.frames)) out.push(`gloves_frames_total${labels({ result })} ${num(n)}`);
  family('gloves_stage_seconds', 'histogram', 'Seconds per pipeline stage and frame.');
  for (const [stage, h] of Object.entries(m.stages)) {
    for (const b of h.buckets) out.push(`gloves_stage_seconds_bucket${labels({ stage, le: num(b.le) })} ${b.count}`);
    out.push(`gloves_stage_seconds_bucket${labels({ stage, le: '+Inf' })} ${h.count}`);
    out.push(`gloves_stage_seconds_sum${labels({ stage })} ${num(h.sum)}`, `gloves_stage_seconds_count${labels({ stage })} ${h.count}`);
  }
  family('gloves_events_total', 'counter', 'Presence events emitted, by type.');
  for (const [type, n] of Object.entries(m.events)) out.push(`gloves_events_total${labels({ type })} ${num(n)}`);
  family('gloves_outbox_depth', 'gauge', 'Events waiting in the on-disk outbox for the broker.');
  out.push(`gloves_outbox_depth ${num(m.outboxDepth)}`);
  family('gloves_pets', 'gauge', 'Pets enrolled in the gallery.');
  out.push(`gloves_pets ${num(m.pets)}`);
  family('gloves_visitors', 'gauge', 'Visitors (unknown animals clustered) remembered.');
  out.push(`gloves_visitors ${num(m.visitors)}`);
  family('gloves_build_info', 'gauge', 'Always 1; the labels say what runs.');
  out.push(`gloves_build_info${labels({ version: m.build.version, node: m.build.node, backend: m.build.backend })} 1`);
  return `${out.join('\n')}\n`;
}
