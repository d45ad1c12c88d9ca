#!/usr/bin/env node
/**
 * `gloves-trainer` entry point (start it through bin/gloves-trainer, which sizes the
 * libuv pool): the trainer's own registry on the daemon's Command contract and dispatcher.
 */
import { runAsMain } from '../../../daemon/src/cli/index.js';
import { trainerCommands } from './registry.js';

runAsMain({
  name: 'gloves-trainer',
  description: 'calibration sets, INT8 quantization and the INT8-vs-FP32 gate',
  commands: trainerCommands,
});
