/**
 * A real loopback RTSP camera for tests (./rtsp-server.py, GStreamer's RTSP
 * server through Debian's python3-gi): kill() is a camera loss, start() again
 * on the same port is the camera coming back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './mosquitto.js';

const script = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
/** Debian's interpreter: the python3 first on PATH may be another build without gi. */
const python = '/usr/bin/python3';

export interface RtspCamera {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL: the camera vanishes without a goodbye. */
  kill(): Promise<void>;
  running(): boolean;
}

export async function rtspCamera(clip: string): Promise<RtspCamera> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const cam: RtspCamera = {
    port,
    url: `rtsp://127.0.0.1:${port}/cat`,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const c = spawn(python, [script, String(port), clip], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = c;
        let out = '';
        const t = setTimeout(() => reject(new Error(`rtsp server not ready in 60 s:\n${out}`)), 60_000);
        const onData = (d: Buffer): void => {
          out += d.toString();
          if (out.includes(`ready ${port}`)) {
            clearTimeout(t);
            resolve();
          }
        };
        c.stdout!.on('data', onData);
        c.stderr!.on('data', onData);
        c.on('exit', (code) => {
          clearTimeout(t);
          if (!out.includes('ready')) reject(new Error(`rtsp server exited (${code}):\n${out}`));
        });
      }),
    kill: async () => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    },
  };
  return cam;
}
