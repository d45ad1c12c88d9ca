/** Transfer progress: a redrawn bar on a terminal, one line per finished file otherwise (logs, CI). */
export interface Progress {
  file(name: string, total: number): void;
  advance(bytes: number): void;
  done(summary: string): void;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

export function createProgress(stream: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown }): Progress {
  let name = '';
  let total = 0;
  let sent = 0;
  let lastDraw = 0;
  const tty = Boolean(stream.isTTY);
  const draw = (force = false): void => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const frac = total > 0 ? Math.min(1, sent / total) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    stream.write(`\r[${bar}] ${String(Math.round(frac * 100)).padStart(3)}% ${mb(sent)}/${mb(total)} ${name}\x1b[K`);
  };
  return {
    file(n, t) {
      name = n;
      total = t;
      sent = 0;
      if (tty) draw(true);
    },
    advance(bytes) {
      sent += bytes;
      if (tty) draw();
    },
    done(summary) {
      if (tty) {
        draw(true);
        stream.write('\n');
      }
      if (!tty) stream.write(`${summary}\n`);
    },
  };
}

export const silentProgress: Progress = { file() {}, advance() {}, done() {} };
