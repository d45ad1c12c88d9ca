import type { Command } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { Daemon } from '../../runtime/daemon.js';

/** How long a stop during startup may take before the process exits anyway (systemd gives 10 s; we promise 2). */
const STARTUP_STOP_MS = 1500;

export const runCommand: Command = {
  name: 'run',
  service: true,
  summary: 'run the daemon: camera -> recognition -> tracking -> presence -> MQTT',
  usage: `gloves run [--config FILE] [--camera URI] [--mqtt URL] [--gallery DIR] [--device-id ID] [--http HOST:PORT|off] [--exit-at-end]
  Runs until SIGTERM/SIGINT. Flags override the config file (default GLOVES_CONFIG), which
  overrides defaults; GLOVES_* environment variables sit between the two.
  --http ADDR     where the HTTP API and web page listen (http.listen), or off
  --exit-at-end   exit (code 0) when a non-looping file source ends, instead of idling
  Logs go to stdout as "LEVEL gloves:<component>: message {fields}".
  Exit codes: 0 clean stop, 1 startup or runtime failure, or events lost on stop (reason on stderr).`,
  async run(ctx) {
    const { values } = parseCommandArgs('run', ctx.argv, {
      config: { type: 'string' },
      camera: { type: 'string' },
      mqtt: { type: 'string' },
      gallery: { type: 'string' },
      'device-id': { type: 'string' },
      http: { type: 'string' },
      'exit-at-end': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(this.usage);
      return 0;
    }
    const config = loadConfig({
      file: values.config ?? ctx.env.GLOVES_CONFIG,
      env: ctx.env,
      overrides: {
        'camera.uri': values.camera,
        'mqtt.url': values.mqtt,
        'gallery.dir': values.gallery,
        'device.id': values['device-id'],
        'http.listen': values.http,
      },
    });
    // A daemon logs to stdout; journald stamps lines itself.
    const underSystemd = !!(ctx.env.INVOCATION_ID || ctx.env.JOURNAL_STREAM);
    const log = createLogger('gloves', { level: config.log.level, timestamps: !underSystemd });
    const daemon = new Daemon(config, log, { env: ctx.env, exitAtEnd: values['exit-at-end'] === true });

    let signals = 0;
    let ready = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        log.warn(`second ${sig}: exiting without a clean stop`);
        process.exit(130);
      }
      log.info(`${sig}: stopping`);
      void daemon.stop();
      // Nothing is lost by leaving a start-up phase that cannot be interrupted (a model load, an engine
      // build): the service manager's stop timeout is short, so exit rather than finish starting.
      if (!ready)
        setTimeout(() => {
          log.warn(`stop requested during startup did not finish within ${STARTUP_STOP_MS} ms: exiting now`);
          process.exit(1);
        }, STARTUP_STOP_MS).unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await daemon.start();
      ready = true;
      const exit = await daemon.done;
      if (exit.code !== 0 && exit.error) ctx.stderr(`error [${exit.error.code}]: ${exit.error.message}`);
      await daemon.stop();
      return exit.code;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A native handle left open must not keep a stopped daemon alive.
      setTimeout(() => process.exit(), 5000).unref();
    }
  },
};
