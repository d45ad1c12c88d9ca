/** Every `gloves` subcommand, in `--help` order. Add new commands here. */
import type { Command } from './command.js';
import { modelsCommand } from './commands/models.js';
import { configCommand } from './commands/config.js';
import { enrollCommand } from './commands/enroll.js';
import { identifyCommand } from './commands/identify.js';
import { evalCommand } from './commands/eval.js';
import { probeCommand } from './commands/probe.js';
import { runCommand } from './commands/run.js';
import { removeCommand } from './commands/remove.js';
import { doctorCommand } from './commands/doctor.js';
import { logsCommand } from './commands/logs.js';
import { visitorsCommand } from './commands/visitors.js';

export const commands: Command[] = [
  runCommand,
  probeCommand,
  enrollCommand,
  identifyCommand,
  removeCommand,
  visitorsCommand,
  evalCommand,
  modelsCommand,
  configCommand,
  doctorCommand,
  logsCommand,
];
