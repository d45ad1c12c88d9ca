/**
 * A private, real Mosquitto for tests: free port(s), its own config in a temp
 * dir, optional password file, ACL and a TLS listener with an openssl-made CA
 * (server cert SAN localhost + 127.0.0.1, optional client cert for mutual TLS).
 *
 * Mosquitto started as root drops to user `mosquitto` and then cannot read
 * root-owned files, so the config says `user root` when we are root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BrokerOptions {
  /** username -> password; when set, anonymous clients are refused. */
  users?: Record<string, string>;
  /** ACL file text (mosquitto acl_file syntax). */
  acl?: string;
  /** Also open a TLS listener. */
  tls?: boolean;
  /** TLS listener requires a client certificate signed by the test CA. */
  requireClientCert?: boolean;
  /** Keep retained messages across restart() (mosquitto persistence). */
  persistence?: boolean;
}

export interface Broker {
  port: number;
  url: string;
  tlsPort?: number;
  tlsUrl?: string;
  /** PEM paths, present with tls. */
  caFile?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  dir: string;
  /** Everything mosquitto wrote to stderr/stdout. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: the broker dies without a goodbye (no persistence flush, no wills sent by it). */
  kill(): Promise<void>;
  /** Start again on the same ports with the same config. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** CA, server cert (SAN localhost, 127.0.0.1) and a client cert, EC P-256, valid 2 days. */
export function makeCertificates(dir: string): {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
} {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gloves-test-ca'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=gloves-test-client'], dir);
  openssl(
    ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2'],
    dir,
  );
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}

async function waitForPort(port: number, child: ChildProcess, out: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${out()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMosquitto(opts: BrokerOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-mosq-'));
  const port = await freePort();
  const lines: string[] = [];
  if (process.getuid?.() === 0) lines.push('user root');
  lines.push('per_listener_settings false', `allow_anonymous ${opts.users ? 'false' : 'true'}`);
  lines.push(opts.persistence ? `persistence true\npersistence_location ${dir}/\nautosave_interval 1` : 'persistence false');
  lines.push('log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice');
  if (opts.users) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '');
    for (const [u, p] of Object.entries(opts.users)) execFileSync('mosquitto_passwd', ['-b', pw, u, p], { stdio: 'ignore' });
    lines.push(`password_file ${pw}`);
  }
  if (opts.acl !== undefined) {
    writeFileSync(join(dir, 'acl'), opts.acl);
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }
  lines.push(`listener ${port} 127.0.0.1`);
  const broker: Broker = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    output: () => out,
    stop: async () => {},
    kill: async () => {},
    restart: async () => {},
  };
  if (opts.tls) {
    const certs = makeCertificates(dir);
    const tlsPort = await freePort();
    lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${certs.ca}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`);
    if (opts.requireClientCert) lines.push('require_certificate true');
    Object.assign(broker, {
      tlsPort,
      tlsUrl: `mqtts://localhost:${tlsPort}`,
      caFile: certs.ca,
      clientCertFile: certs.clientCert,
      clientKeyFile: certs.clientKey,
    });
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  let out = '';
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn(mosquittoBinary(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (out += d));
    child = c;
    await waitForPort(port, c, () => out);
    if (broker.tlsPort) await waitForPort(broker.tlsPort, c, () => out);
  };
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  broker.stop = () => end('SIGTERM');
  broker.kill = () => end('SIGKILL');
  broker.restart = async () => {
    await broker.stop();
    await start();
  };
  await start();
  return broker;
}

/**
 * Debian installs the broker in /usr/sbin, which is not on a non-root user's PATH:
 * look there too, so tests run the same as root or as a sudo user.
 */
export function mosquittoBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (d && existsSync(join(d, 'mosquitto'))) return join(d, 'mosquitto');
  }
  throw new Error('mosquitto is not installed (scripts/install-system-deps.sh installs it)');
}
