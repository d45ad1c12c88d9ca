/**
 * Runs scripts/provision.sh for real into a throwaway root. Only the system seam
 * (systemctl, apt, the Node installer, the host's glibc) is replaced, by a stub
 * file that records each call in STUB_DIR/log; `systemctl is-enabled/is-active`
 * answer from marker files the stubbed enable/start create.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/**
 * A frozen copy of the checkout's runtime files to provision from: other work in the same
 * tree may rebuild dist/ while these tests run, which would (rightly) show as changes.
 * node_modules is hard-linked (npm replaces files rather than rewriting them).
 */
function frozenCheckout(): string {
  const src = join(mkdtempSync(join(tmpdir(), 'gloves-checkout-')), 'gloves');
  mkdirSync(join(src, 'build'), { recursive: true });
  const cp = (args: string[]): void => {
    const r = spawnSync('cp', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cp ${args.join(' ')}: ${r.stderr}`);
  };
  cp([
    '-a',
    ...['package.json', 'package-lock.json', 'README.md', 'bin', 'dist', 'models', 'systemd', 'scripts'].map((f) => join(repoRoot, f)),
    src,
  ]);
  cp(['-a', join(repoRoot, 'build', 'Release'), join(src, 'build')]);
  cp(['-al', join(repoRoot, 'node_modules'), src]);
  return src;
}

export const source = frozenCheckout();
export const script = join(source, 'scripts', 'provision.sh');
/** The data mirror, found as scripts/setup.sh finds it (CI runs in a clone whose origin has ../shared beside it). */
export const mirror = findMirror();

function findMirror(): string | undefined {
  const env = process.env.GLOVES_DATA_MIRROR;
  if (env && existsSync(join(env, 'models'))) return env;
  const beside = join(repoRoot, '..', 'shared');
  if (existsSync(join(beside, 'models'))) return beside;
  const origin = spawnSync('git', ['config', '--get', 'remote.origin.url'], { cwd: repoRoot, encoding: 'utf8' })
    .stdout.trim()
    .replace(/^file:\/\//, '');
  const fromOrigin = origin.startsWith('/') ? join(origin, '..', 'shared') : '';
  return fromOrigin && existsSync(join(fromOrigin, 'models')) ? fromOrigin : undefined;
}

const SEAM = String.raw`
sys_systemd_running() { [ "$STUB_SYSTEMD" = 1 ]; }
sys_systemctl() {
  echo "systemctl $*" >>"$STUB_DIR/log"
  case "$1" in
    is-enabled | is-active) [ -f "$STUB_DIR/$1" ] ;;
    enable) touch "$STUB_DIR/is-enabled" ;;
    start | restart) touch "$STUB_DIR/is-active" ;;
    disable) rm -f "$STUB_DIR/is-enabled" "$STUB_DIR/is-active" ;;
  esac
}
sys_missing_packages() { [ -f "$STUB_DIR/missing" ] && cat "$STUB_DIR/missing"; return 0; }
sys_apt_install() { echo "apt-get install $*" >>"$STUB_DIR/log"; rm -f "$STUB_DIR/missing"; }
sys_node_major() { echo 20; }
sys_install_node() { echo "install node" >>"$STUB_DIR/log"; }
sys_glibc_version() { echo "$STUB_GLIBC"; }
`;

export interface Target {
  root: string;
  stub: string;
  dir: string;
}

/** A fresh root with an os-release (and optionally a Jetson release file). */
export function newTarget(osRelease = readFileSync('/etc/os-release', 'utf8'), tegra?: string): Target {
  const dir = mkdtempSync(join(tmpdir(), 'gloves-provision-'));
  const root = join(dir, 'root');
  const stub = join(dir, 'stub');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(stub);
  writeFileSync(join(root, 'etc', 'os-release'), osRelease);
  if (tegra) writeFileSync(join(root, 'etc', 'nv_tegra_release'), tegra);
  writeFileSync(join(stub, 'seam.sh'), SEAM);
  return { root, stub, dir };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  changes: string[];
}

export interface RunOptions {
  input?: string;
  systemd?: boolean;
  /** Wrap the run in `strace -f -e execve` writing to this file. */
  strace?: string;
  env?: Record<string, string>;
}

export function provision(t: Target, args: string[], o: RunOptions = {}): RunResult {
  const base = ['--root', t.root, ...(mirror ? ['--mirror', mirror] : [])];
  const cmd = o.strace
    ? ([
        'strace',
        ['-f', '-qq', '-v', '-s', '65536', '--seccomp-bpf', '-e', 'trace=execve', '-o', o.strace, 'bash', script, ...base, ...args],
      ] as const)
    : (['bash', [script, ...base, ...args]] as const);
  const t0 = performance.now();
  const r = spawnSync(cmd[0], [...cmd[1]], {
    encoding: 'utf8',
    input: o.input ?? '',
    timeout: 300_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      GLOVES_PROVISION_SEAM: join(t.stub, 'seam.sh'),
      STUB_DIR: t.stub,
      STUB_SYSTEMD: o.systemd ? '1' : '0',
      STUB_GLIBC: '2.36',
      ...o.env,
    },
  });
  if (process.env.GLOVES_TEST_TIMING) console.log(`provision ${args.join(' ')}: ${Math.round(performance.now() - t0)} ms`);
  const changes = r.stdout.split('\n').filter((l) => l.startsWith('change: '));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, changes };
}

/** Seam calls recorded since the last call (and forgets them). */
export function takeCalls(t: Target): string[] {
  const log = join(t.stub, 'log');
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  writeFileSync(log, '');
  return lines;
}

/** Every path under `root` with type, mode, owner, size and mtime: equal snapshots mean nothing was touched. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = p.slice(root.length);
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
        walk(p);
      } else out.set(rel, `file ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(root);
  return out;
}

export function diffSnapshots(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} -> ${b.get(k) ?? '(gone)'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${k}: (new) ${v}`);
  return out;
}

export function idOf(root: string, file: 'passwd' | 'group', name: string): number {
  const m = new RegExp(`^${name}:[^:]*:(\\d+):`, 'm').exec(readFileSync(join(root, 'etc', file), 'utf8'));
  if (!m) throw new Error(`${name} not in ${file}`);
  return Number(m[1]);
}

export function copyPhotos(src: string, dest: string, names: string[]): void {
  mkdirSync(dest, { recursive: true });
  for (const n of names) copyFileSync(join(src, n), join(dest, n));
}
