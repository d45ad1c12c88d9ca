/**
 * sd_notify without native code. Node cannot open AF_UNIX datagram sockets, so
 * the datagrams are sent by one of:
 *
 * - `fd`: an inherited, already connected datagram socket named by
 *   GLOVES_NOTIFY_FD (an exec wrapper such as NOTIFY_EXEC_WRAPPER below creates
 *   it and execs node, so the sender is the main PID and `NotifyAccess=main`
 *   works); writes go through fs.writeSync, i.e. from this very process;
 * - `helper`: a long-lived `perl` child (perl-base is Essential on Debian and
 *   Ubuntu) that sends each line it reads as one datagram. systemd sees the
 *   child's PID, so the unit needs `NotifyAccess=all`.
 *
 * Contract: with NOTIFY_SOCKET unset every method is a no-op. `watchdog()` is
 * cheap to call per frame: it sends at most once per WATCHDOG_USEC/2 (and only
 * when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process). A
 * broken transport is logged once and never throws into the caller. No
 * WATCHDOG=1 follows STOPPING=1. A long start-up step (a TensorRT engine build
 * takes minutes on a Jetson Nano, before READY=1) keeps the start job alive with
 * EXTEND_TIMEOUT_USEC on a heartbeat (`extendTimeout`, `buildHeartbeat`), so the
 * unit's TimeoutStartSec need not cover the worst build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import type { Logger } from '../log/logger.js';

/** Reads lines; `\x1e` inside a line stands for a newline of a multi-field message. */
const HELPER = String.raw`
use strict; use warnings; use Socket;
my $path = $ENV{NOTIFY_SOCKET}; $path =~ s/^@/\0/;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
my $addr = pack_sockaddr_un($path);
$| = 1;
while (my $line = <STDIN>) {
  chomp $line; $line =~ s/\x1e/\n/g;
  defined(send($s, $line, 0, $addr)) or print STDERR "sd_notify send failed: $!\n";
}
`;

/** A wrapper for ExecStart= that lets the main PID send (NotifyAccess=main): perl -e "$NOTIFY_EXEC_WRAPPER" node ... */
export const NOTIFY_EXEC_WRAPPER = String.raw`
use strict; use Socket; use Fcntl;
if (defined $ENV{NOTIFY_SOCKET}) {
  my $path = $ENV{NOTIFY_SOCKET}; $path =~ s/^@/\0/;
  socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
  connect($s, pack_sockaddr_un($path)) or die "connect $ENV{NOTIFY_SOCKET}: $!\n";
  fcntl($s, F_SETFD, 0) or die "fcntl: $!\n";
  $ENV{GLOVES_NOTIFY_FD} = fileno($s);
  exec { $ARGV[0] } @ARGV or die "exec: $!\n";
}
exec { $ARGV[0] } @ARGV or die "exec: $!\n";
`;

/** What a heartbeat during a TensorRT engine build reports (the inference backend emits it). */
export interface BuildHeartbeat {
  model: string;
  elapsedMs: number;
  /** TensorRT's current phase ("outer > inner"), where the addon reports one (TensorRT >= 10). */
  phase?: string;
  step?: number;
  steps?: number;
  done?: boolean;
}

export interface NotifierStats {
  sent: number;
  watchdogs: number;
}

export class SystemdNotifier {
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  private child: ChildProcess | null = null;
  private fd: number | null = null;
  private broken = false;
  private isStopping = false;
  private lastWatchdogMs = Number.NEGATIVE_INFINITY;
  readonly stats: NotifierStats = { sent: 0, watchdogs: 0 };

  constructor(env: NodeJS.ProcessEnv, log: Logger) {
    this.env = env;
    this.log = log;
  }

  get enabled(): boolean {
    return !!this.env.NOTIFY_SOCKET && !this.broken;
  }

  /** Interval between watchdog pings, or null when systemd's watchdog is off for us. */
  get watchdogIntervalMs(): number | null {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return null;
    const pid = this.env.WATCHDOG_PID;
    if (pid !== undefined && pid !== '' && Number(pid) !== process.pid) return null;
    return usec / 1000 / 2;
  }

  ready(status?: string): void {
    this.send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  /** EXTEND_TIMEOUT_USEC: systemd must hear from us again within `ms` (start or stop timeout extended), with an optional STATUS. */
  extendTimeout(ms: number, status?: string): void {
    const usec = Math.max(1, Math.round(ms * 1000));
    this.send(status ? `EXTEND_TIMEOUT_USEC=${usec}\nSTATUS=${status}` : `EXTEND_TIMEOUT_USEC=${usec}`);
  }

  /**
   * Hooks for the inference backend's engine builds: every heartbeat (10 s, or the
   * watchdog interval when shorter) EXTEND_TIMEOUT_USEC of 3 heartbeats (at least 30 s)
   * with `STATUS=building <model> m:ss [phase step/steps]`; a STATUS line when done.
   */
  buildHeartbeat(): { heartbeatMs: number; onBuildProgress: (p: BuildHeartbeat) => void } {
    const heartbeatMs = Math.min(10_000, this.watchdogIntervalMs ?? 10_000);
    const extendMs = Math.max(30_000, 3 * heartbeatMs);
    return {
      heartbeatMs,
      onBuildProgress: (p) => {
        const t = `${Math.floor(p.elapsedMs / 60000)}:${String(Math.floor((p.elapsedMs % 60000) / 1000)).padStart(2, '0')}`;
        if (p.done) return this.status(`built ${p.model} in ${t}`);
        const phase = p.phase ? ` (${p.phase}${p.steps ? ` ${p.step ?? 0}/${p.steps}` : ''})` : '';
        this.extendTimeout(extendMs, `building ${p.model} ${t}${phase}`);
      },
    };
  }

  stopping(): void {
    this.isStopping = true;
    this.send('STOPPING=1');
  }

  /** Call from the frame loop; rate-limited. */
  watchdog(nowMs: number = performance.now()): void {
    const every = this.watchdogIntervalMs;
    // After STOPPING=1 systemd expects no more pings (the stop timeout applies).
    if (every === null || !this.enabled || this.isStopping || nowMs - this.lastWatchdogMs < every) return;
    this.lastWatchdogMs = nowMs;
    this.stats.watchdogs++;
    this.send('WATCHDOG=1');
  }

  /** Ends the helper after it has sent everything queued. */
  async close(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, 2000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.stdin?.end();
    });
  }

  private send(message: string): void {
    if (!this.enabled) return;
    try {
      if (this.env.GLOVES_NOTIFY_FD) this.sendFd(message);
      else this.sendHelper(message);
      this.stats.sent++;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private sendFd(message: string): void {
    if (this.fd === null) {
      const n = Number(this.env.GLOVES_NOTIFY_FD);
      if (!Number.isInteger(n) || n < 0) throw new Error(`GLOVES_NOTIFY_FD is not a file descriptor: ${this.env.GLOVES_NOTIFY_FD}`);
      this.fd = n;
    }
    // One write on a connected datagram socket is one datagram.
    writeSync(this.fd, Buffer.from(message));
  }

  private sendHelper(message: string): void {
    if (!this.child) {
      const c = spawn('perl', ['-e', HELPER], {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: { NOTIFY_SOCKET: this.env.NOTIFY_SOCKET, PATH: this.env.PATH ?? '/usr/bin:/bin' },
      });
      c.on('error', (err) => this.fail(err));
      c.stderr!.on('data', (d: Buffer) => this.log.warn(d.toString().trim()));
      c.on('exit', (code) => {
        if (this.child === c) this.fail(new Error(`sd_notify helper exited with ${code}`));
      });
      c.stdin!.on('error', (err) => this.fail(err));
      // Never keep the process alive just for the helper.
      c.unref();
      (c.stdin as unknown as { unref?: () => void }).unref?.();
      (c.stderr as unknown as { unref?: () => void }).unref?.();
      this.child = c;
    }
    this.child.stdin!.write(message.replace(/\n/g, '\x1e') + '\n');
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = true;
    this.log.error('sd_notify disabled: cannot reach NOTIFY_SOCKET', { error: err });
  }
}
