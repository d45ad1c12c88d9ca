/**
 * Every `gloves-trainer` subcommand, in `--help` order. MLflow pull and signed
 * push (a later issue) are added here as further Command objects.
 */
import type { Command } from '../../../daemon/src/cli/index.js';
import { captureCommand } from './commands/capture.js';
import { calibrationSetCommand } from './commands/calibration-set.js';
import { quantizeCommand } from './commands/quantize.js';
import { evaluateCommand } from './commands/evaluate.js';
import { fitStatsCommand } from './commands/fit-stats.js';

export const trainerCommands: Command[] = [captureCommand, calibrationSetCommand, quantizeCommand, evaluateCommand, fitStatsCommand];
