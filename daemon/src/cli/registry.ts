/** Every `gloves` subcommand, in `--help` order. Add new commands here. */
import type { Command } from './command.js';
import { modelsCommand } from './commands/models.js';
import { configCommand } from './commands/config.js';

export const commands: Command[] = [modelsCommand, configCommand];
