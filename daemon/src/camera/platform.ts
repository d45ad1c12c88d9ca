/**
 * The platform facts the pipeline builder needs. Injected (never read inside
 * the builder) so that tests can build Jetson strings on x86.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface Platform {
  /** NVIDIA Jetson (L4T): use nvv4l2decoder / nvvidconv / nvarguscamerasrc. */
  jetson: boolean;
}

export const GENERIC_PLATFORM: Platform = Object.freeze({ jetson: false });
export const JETSON_PLATFORM: Platform = Object.freeze({ jetson: true });

/** Detects a Jetson by its L4T release file or device-tree model; `GLOVES_PLATFORM=jetson|generic` overrides. */
export function detectPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const forced = env.GLOVES_PLATFORM?.toLowerCase();
  if (forced === 'jetson') return JETSON_PLATFORM;
  if (forced === 'generic') return GENERIC_PLATFORM;
  if (existsSync('/etc/nv_tegra_release')) return JETSON_PLATFORM;
  try {
    const model = readFileSync('/proc/device-tree/model', 'utf8');
    if (/jetson|tegra/i.test(model)) return JETSON_PLATFORM;
  } catch {
    // no device tree: not an embedded board
  }
  return GENERIC_PLATFORM;
}
