/** The CLI framework's public entry: what another program (gloves-trainer) builds its commands with. */
export type { Command, CommandContext } from './command.js';
export { parseCommandArgs, parsePositiveInt, requireString } from './args.js';
export { runAsMain, runProgram, programHelp, type Program } from './runner.js';
