#!/usr/bin/env node
/**
 * `gloves-trainer` entry point: the companion trainer's own command registry,
 * on the daemon's Command contract and dispatcher (same error conventions).
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

import { runAsMain } from '../../../daemon/src/cli/runner.js';
import { trainerCommands } from './registry.js';

runAsMain({ name: 'gloves-trainer', description: 'calibration sets, INT8 quantization and the INT8-vs-FP32 gate', commands: trainerCommands });
