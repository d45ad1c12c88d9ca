/**
 * A child process for the SIGKILL tests (../kill-during-write.test.ts): appends events to the
 * outbox in DIR as fast as it can, acks every third one, and reports each append and ack on
 * stdout only after it returned (after fsync), until it is killed.
 * usage: node --import tsx outbox-writer.ts DIR PREFIX
 */
import { Outbox } from '../../../daemon/src/events/outbox.js';
import { silentLogger } from '../../../daemon/src/log/logger.js';

const [dir, prefix] = process.argv.slice(2) as [string, string];
const o = new Outbox(dir, silentLogger());
o.open();
for (let n = 1; ; n++) {
  const id = `${prefix}-${n}`;
  const e = o.append({
    id,
    type: 'seen',
    pet: 'Mia',
    pet_id: 'mia',
    camera: 'hall',
    ts: new Date().toISOString(),
    confidence: 0.9,
    box: [1, 2, 3, 4],
    track: n,
  });
  process.stdout.write(`appended ${e.seq} ${id}\n`);
  if (n % 3 === 0) {
    const head = o.head()!;
    o.ack(head.seq);
    process.stdout.write(`acked ${head.seq} ${head.event.id}\n`);
  }
  // Yield now and then so the pipe flushes what was reported.
  if (n % 20 === 0) await new Promise((r) => setImmediate(r));
}
