/**
 * Visitors as local background, measured on sequences of photos (pure; bench/visitors.ts,
 * test/recognition/visitor-background.test.ts).
 *
 * For every cross-validation fold (statistics and rule fitted without the fold's cats) and
 * every cat S of the fold: the fold's OTHER cats are the household's pets (K shots enrolled),
 * S is a stranger. S's photos in name order: the first half, cut into tracks of
 * `visitLength`, are its visits; the second half, cut into tracks of `length`, its later
 * tracks. Each track goes through the daemon's own evidence accumulation and decision
 * (tracking/voting.ts) and, when it ends unknown, through the visitor book
 * (presence/visitors.ts: identified once, crops kept as the recorder keeps them). Before
 * each track the matcher's local background is rebuilt from the book (visitors with >=
 * `after` sightings, guarded against the pets: recognition/matching/local-background.ts).
 *
 * Order: visits, then S's later tracks, then the pets' tracks (their query photos, cut into
 * tracks of `length`), so the pets face the stranger's visitor as background. Pets' tracks
 * that end unknown become visitors too, as in the daemon: the guard must keep a pet from
 * becoming its own background. With `seenBeforeEnrolment` the first half of each pet's
 * tracks is played before any pet is enrolled (a pet seen before it was enrolled: all
 * unknown, so each pet already IS a frequent visitor when enrolled), and only the other
 * half is scored as the pets' tracks (a baseline: the same options with weight 0).
 */
import { Evidence, type VoteOptions } from '../tracking/voting.js';
import { VisitorBook, VISITOR_DEFAULTS } from '../presence/visitors.js';
import { buildPrototypes, decide, scorePets, type DecisionRule } from '../recognition/matching/matcher.js';
import { cachedTransform, localRows } from '../recognition/matching/local-background.js';
import { applyTransform, type PopulationStats } from '../recognition/matching/stats.js';
import type { EmbeddedPhoto } from './dataset.js';
import { splitShots } from './evaluate.js';
import type { FoldResult } from './crossval.js';

export interface VisitorScenarioOptions {
  /** Photos per visit track (the stranger's first half). */
  visitLength: number;
  /** Photos per later track (the stranger's second half, and the pets'). */
  length: number;
  shots: number;
  vote: VoteOptions;
  /** Local background: visitors with >= after sightings; weight 0 = off (the baseline). */
  after: number;
  weight: number;
  guard: number;
  /** Visitor clustering threshold (whitened cosine). */
  visitorThreshold: number;
  seenBeforeEnrolment: boolean;
}

export const VISITOR_SCENARIO_DEFAULTS: VisitorScenarioOptions = {
  visitLength: 3,
  length: 5,
  shots: 3,
  vote: { minVotes: 3 },
  // As the daemon's defaults (tracking.visitors.background*).
  after: 2,
  weight: 1,
  guard: 0.2,
  visitorThreshold: VISITOR_DEFAULTS.threshold,
  seenBeforeEnrolment: false,
};

type Outcome = 'pet' | 'unknown' | 'pending';

export interface StrangerCase {
  fold: number;
  stranger: string;
  pets: string[];
  /** Decision and visitor id (unknown tracks) of each visit. */
  visits: { outcome: Outcome; named?: string; visitor?: string }[];
  /** The visitor most of the visits joined, and its sightings after the visits. */
  visitor: string | null;
  sightings: number;
  later: { outcome: Outcome; named?: string; visitor?: string }[];
  /** Pets' tracks: [pet, what it was named (null: not named)]. */
  petTracks: [string, string | null][];
}

export interface VisitorScenarioResult {
  strangers: number;
  /** Strangers whose visits made a visitor with >= `after` sightings (background). */
  became_background: number;
  later_tracks: number;
  /** Later stranger tracks named as a pet (false accepts), unknown, pending. */
  later_named: number;
  later_unknown: number;
  later_pending: number;
  /** Later tracks that ended unknown and were identified as the stranger's visitor. */
  later_same_visitor: number;
  pet_tracks: number;
  pet_top1: number;
  cases: StrangerCase[];
}

const noNames: ReadonlyMap<string, string> = new Map();

function byName(items: readonly EmbeddedPhoto[]): EmbeddedPhoto[] {
  return [...items].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let s = 0; s + n <= xs.length; s += n) out.push(xs.slice(s, s + n));
  return out;
}

/** One household: its pets' prototypes, its visitor book, and the daemon's per-track path. */
class Household {
  private protos: ReturnType<typeof buildPrototypes> = [];
  readonly book: VisitorBook;
  private nextTrack = 1;
  private readonly tx: ReturnType<typeof cachedTransform>;

  constructor(
    private readonly rule: DecisionRule,
    private readonly stats: PopulationStats,
    private readonly o: VisitorScenarioOptions,
  ) {
    this.book = new VisitorBook({ threshold: o.visitorThreshold, transform: (e) => applyTransform(e, stats) });
    this.tx = cachedTransform(stats);
  }

  enrol(pets: ReadonlyMap<string, Float32Array[]>): void {
    this.protos = buildPrototypes(
      [...pets].map(([id, embeddings]) => ({ id, name: id, embeddings })),
      this.rule,
      this.stats,
    );
  }

  /** One track: evidence over its photos, then (unknown) the visitor book and its crops. */
  track(photos: readonly EmbeddedPhoto[], nowMs: number): { outcome: Outcome; named?: string; visitor?: string } {
    const { o, stats, rule, book } = this;
    const local =
      o.weight > 0 ? { weight: o.weight, rows: localRows(book.backgroundGroups(o.after), this.protos, this.tx, rule, o.guard) } : undefined;
    const id = this.nextTrack++;
    const e = new Evidence();
    const frames = photos.filter((p) => p.embedding);
    frames.forEach((p, i) => {
      const v = applyTransform(p.embedding!, stats);
      e.add(decide(scorePets(v, this.protos, rule, stats, local), noNames, rule), { embedding: p.embedding!, timeMs: nowMs + i * 1000 });
      book.observe(id, p.embedding!, nowMs + i * 1000);
    });
    const d = e.decide(o.vote);
    if (d.kind === 'pet') return { outcome: 'pet', named: d.pet.petId };
    if (d.kind === 'pending') return { outcome: 'pending' };
    const visitor = book.identify(id, new Date(nowMs).toISOString()).visitor;
    for (const p of frames) {
      const b = p.detection?.box;
      const quality = b ? Math.min(b[2] - b[0], b[3] - b[1]) : 100;
      if (book.wantsCrop(visitor, quality, p.embedding!)) book.addCrop(visitor, { file: p.file, quality, embedding: p.embedding! });
    }
    return { outcome: 'unknown', visitor };
  }
}

export function evaluateVisitorBackground(
  items: readonly EmbeddedPhoto[],
  folds: readonly Pick<FoldResult, 'scored' | 'stats' | 'rule'>[],
  opts: Partial<VisitorScenarioOptions> = {},
): VisitorScenarioResult {
  const o = { ...VISITOR_SCENARIO_DEFAULTS, ...opts };
  const cases: StrangerCase[] = [];
  folds.forEach((fold, f) => {
    for (const stranger of fold.scored) {
      const pets = fold.scored.filter((p) => p !== stranger);
      const { enrol, queries } = splitShots(
        items.filter((i) => pets.includes(i.pet)),
        o.shots,
      );
      const h = new Household(fold.rule, fold.stats, o);
      let t = 0;
      const play = (photos: readonly EmbeddedPhoto[]): ReturnType<Household['track']> => h.track(photos, (t += 600_000));
      const petTracks = pets.flatMap((p) => {
        const all = chunks(byName(queries.filter((q) => q.pet === p)), o.length).map((c) => [p, c] as const);
        if (!o.seenBeforeEnrolment) return all;
        const before = Math.floor(all.length / 2);
        for (const [, c] of all.slice(0, before)) play(c);
        return all.slice(before);
      });
      h.enrol(enrol);
      const own = byName(items.filter((i) => i.pet === stranger));
      const half = Math.floor(own.length / 2);
      const visits = chunks(own.slice(0, half), o.visitLength).map(play);
      const counts = new Map<string, number>();
      for (const v of visits) if (v.visitor) counts.set(v.visitor, (counts.get(v.visitor) ?? 0) + 1);
      const visitor = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
      const sightings = visitor ? (h.book.get(visitor)?.sightings ?? 0) : 0;
      const later = chunks(own.slice(half), o.length).map(play);
      const named = petTracks.map(([p, c]) => [p, play(c).named ?? null] as [string, string | null]);
      cases.push({ fold: f, stranger, pets, visits, visitor, sightings, later, petTracks: named });
    }
  });
  const later = cases.flatMap((c) => c.later.map((l) => ({ ...l, visitor0: c.visitor })));
  const petTracks = cases.flatMap((c) => c.petTracks);
  const r3 = (x: number, n: number): number => Math.round((x / (n || 1)) * 1000) / 1000;
  return {
    strangers: cases.length,
    became_background: cases.filter((c) => c.sightings >= o.after).length,
    later_tracks: later.length,
    later_named: later.filter((l) => l.outcome === 'pet').length,
    later_unknown: later.filter((l) => l.outcome === 'unknown').length,
    later_pending: later.filter((l) => l.outcome === 'pending').length,
    later_same_visitor: later.filter((l) => l.outcome === 'unknown' && l.visitor === l.visitor0).length,
    pet_tracks: petTracks.length,
    pet_top1: r3(petTracks.filter(([p, n]) => n === p).length, petTracks.length),
    cases,
  };
}
