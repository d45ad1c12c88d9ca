/**
 * When the daemon's periodic tick (every 500 ms) may ping the systemd
 * watchdog, in addition to the ping after every processed frame.
 *
 * The frame loop is always in one of these phases:
 * - 'processing': inside detection, embedding, tracking and outputs for one
 *   frame. A hang here is exactly what the watchdog exists for, so the tick
 *   never pings: only finishing the frame does.
 * - 'waiting': awaiting the camera's next frame. The tick pings only while the
 *   source itself says it legitimately has no frames: 'reconnecting' (a live
 *   camera in its backoff, however long the outage; the source's own stall
 *   timer moves a silent live stream there) or 'ended' (drained, about to
 *   return null). While the source claims 'running' it owes us frames, so a
 *   pipeline that silently stops delivering still stops the pings.
 * - 'idle': the loop finished because a non-looping file source ended
 *   cleanly and the daemon keeps serving MQTT and presence without a camera;
 *   there is no frame pipeline left to stall, so the tick pings.
 * - 'starting' / 'stopped': never (before READY=1, and after STOPPING=1).
 */
import type { SourceState } from '../camera/index.js';

export type LoopPhase = 'starting' | 'waiting' | 'processing' | 'idle' | 'stopped';

/** Pure: whether the tick may ping WATCHDOG=1 now. */
export function tickMayPingWatchdog(phase: LoopPhase, source: SourceState): boolean {
  if (phase === 'idle') return true;
  if (phase === 'waiting') return source === 'reconnecting' || source === 'ended';
  return false;
}
