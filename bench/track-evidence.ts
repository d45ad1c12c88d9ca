/**
 * Per-frame cost of the track evidence logic (tracking/voting.ts + tracker.ts): one
 * cat per frame, 1280-d embeddings, 3 enrolled pets with LLR scores. Prints JSON.
 * usage: node --import tsx bench/track-evidence.ts [FRAMES]
 */
import { Tracker } from '../daemon/src/tracking/tracker.js';
import type { MatchResult } from '../daemon/src/recognition/types.js';

const frames = Number(process.argv[2] ?? 5000);
const dim = 1280;
let seed = 1;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
const base = Float32Array.from({ length: dim }, rnd);
const emb = (): Float32Array => {
  const v = Float32Array.from(base, (x) => x + 0.3 * rnd());
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
};
const pool = Array.from({ length: 64 }, emb);
const match: MatchResult = {
  pet: null,
  confidence: 0.7,
  scores: [
    { petId: 'a', score: 0.1, llr: -0.4 },
    { petId: 'b', score: 0.05, llr: -1.2 },
    { petId: 'c', score: 0, llr: -2 },
  ],
};
const t = new Tracker({ iouMatch: 0.3, maxMissedFrames: 5, minVotes: 3, appearanceGate: 0.5 });
const t0 = performance.now();
for (let i = 0; i < frames; i++)
  t.update([{ label: 'cat', score: 0.9, box: [100, 100, 300, 300], match, embedding: pool[i % pool.length]! }], i * 100);
const ms = performance.now() - t0;
console.log(JSON.stringify({ frames, us_per_frame: Math.round((ms * 1000) / frames) }));
