#!/usr/bin/env node
/**
 * `gloves-trainer` entry point: the companion trainer's own command registry,
 * on the daemon's Command contract and dispatcher (same error conventions).
 */
// Set before anything can touch the libuv pool (see daemon/src/cli/main.ts).
process.env.UV_THREADPOOL_SIZE ??= '16';

const { runAsMain } = await import('../../../daemon/src/cli/runner.js');
const { trainerCommands } = await import('./registry.js');
runAsMain({ name: 'gloves-trainer', description: 'calibration sets, INT8 quantization and the INT8-vs-FP32 gate', commands: trainerCommands });
