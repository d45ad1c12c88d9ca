/**
 * Every `gloves-trainer` subcommand, in `--help` order.
 */
import type { Command } from '../../../daemon/src/cli/index.js';
import { captureCommand } from './commands/capture.js';
import { calibrationSetCommand } from './commands/calibration-set.js';
import { quantizeCommand } from './commands/quantize.js';
import { evaluateCommand } from './commands/evaluate.js';
import { fitStatsCommand } from './commands/fit-stats.js';
import { keygenCommand } from './commands/keygen.js';
import { bundleCommand } from './commands/bundle.js';
import { pullCommand } from './commands/pull.js';
import { publishCommand } from './commands/publish.js';
import { pushCommand } from './commands/push.js';

export const trainerCommands: Command[] = [
  captureCommand,
  calibrationSetCommand,
  quantizeCommand,
  evaluateCommand,
  fitStatsCommand,
  keygenCommand,
  bundleCommand,
  pullCommand,
  publishCommand,
  pushCommand,
];
