import { spawn, type ChildProcess } from 'node:child_process';

/** A real AF_UNIX datagram receiver (perl: Node has no unix datagram sockets). Prints one line per datagram, \n escaped. */
export function receiver(path: string): Promise<{ child: ChildProcess; lines: string[]; waitFor: (n: number) => Promise<string[]> }> {
  const script = String.raw`use Socket; my $p = $ARGV[0]; my $a = $p; $a =~ s/^@/\0/; unlink $p unless $p =~ /^@/;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket $!"; bind($s, pack_sockaddr_un($a)) or die "bind $!"; $| = 1; print "listening\n";
while (defined(recv($s, my $buf, 65536, 0))) { $buf =~ s/\n/\\n/g; print "$buf\n"; }`;
  const child = spawn('perl', ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    waiters.splice(0).forEach((w) => w());
  });
  const waitFor = (n: number): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(lines)}`)), 15_000);
      const check = (): void => {
        if (lines.length >= n) {
          clearTimeout(t);
          resolve(lines.slice(1, n));
        } else waiters.push(check);
      };
      check();
    });
  return waitFor(1).then(() => ({ child, lines, waitFor }));
}
