/**
 * What the HTTP API shows live (http/ports.ts LivePort): the events as published on MQTT (for
 * GET /v1/events), the recent sightings with a crop each, and the latest frame, annotated only
 * when asked for (GET /v1/frame.jpg), so an unwatched daemon spends nothing on drawing.
 */
import sharp from 'sharp';
import type { PetEvent } from '../events/types.js';
import type { LivePort, SightingView } from '../http/ports.js';
import type { Logger } from '../log/logger.js';
import type { Box } from '../recognition/types.js';
import type { RgbImage } from '../vision/image.js';
import type { FrameResult } from './frame-processor.js';
import { cropJpeg } from './snapshot.js';

/** Sightings kept in memory (their crops included: about 10 KB each). */
export const MAX_SIGHTINGS = 100;
const SIGHTING_TYPES = new Set(['seen', 'unknown_seen', 'new_visitor']);

export interface Overlay {
  box: Box;
  text: string;
  /** A named pet (green) or not (orange). */
  known: boolean;
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Pure: the SVG drawn over a frame: a box and a label per overlay. */
export function overlaySvg(width: number, height: number, overlays: readonly Overlay[]): string {
  const parts = overlays.map(({ box: [x1, y1, x2, y2], text, known }) => {
    const colour = known ? '#2ecc40' : '#ff851b';
    const ty = y1 >= 18 ? y1 - 4 : y1 + 16;
    return (
      `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${colour}" stroke-width="3"/>` +
      `<text x="${x1 + 2}" y="${ty}" font-family="sans-serif" font-size="16" fill="${colour}" stroke="black" stroke-width="0.6">${escapeXml(text)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

interface Sighting {
  view: SightingView;
  /** The camera whose frame holds the box: the crop is cut from that camera's next frame. */
  camera: string;
  box: Box;
  jpeg?: Buffer;
}

export class LiveFeed implements LivePort {
  private readonly log: Logger;
  private readonly listeners = new Set<(e: PetEvent) => void>();
  private readonly recent: Sighting[] = [];
  private pending: Sighting[] = [];
  /** The latest processed frame of each camera, by camera id. */
  private readonly latest = new Map<string, { image: RgbImage; overlays: Overlay[] }>();

  /** The configured camera ids, in order: the first one is /v1/frame.jpg's default. */
  private readonly cameraIds: readonly string[];

  constructor(log: Logger, cameraIds: readonly string[]) {
    this.log = log;
    this.cameraIds = cameraIds;
  }

  /** An event as it goes to MQTT. */
  publish(e: PetEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn('event listener failed', { error: err as Error });
      }
    }
    if (!SIGHTING_TYPES.has(e.type)) return;
    const s: Sighting = {
      camera: e.camera,
      box: e.box,
      view: {
        id: e.id,
        type: e.type,
        pet: e.pet,
        pet_id: e.pet_id,
        visitor: e.visitor ?? null,
        ts: e.ts,
        confidence: e.confidence,
        snapshot: null,
      },
    };
    this.recent.unshift(s);
    this.recent.length = Math.min(this.recent.length, MAX_SIGHTINGS);
    this.pending.push(s);
  }

  /** The frame camera `camera` just processed: kept for /v1/frame.jpg, and cropped for that camera's sightings. */
  frame(camera: string, image: RgbImage, overlays: Overlay[]): void {
    this.latest.set(camera, { image, overlays });
    const due = this.pending.filter((s) => s.camera === camera);
    if (due.length === 0) return;
    this.pending = this.pending.filter((s) => s.camera !== camera);
    for (const s of due)
      cropJpeg(image, s.box)
        .then((jpeg) => {
          s.jpeg = jpeg;
          s.view.snapshot = `/v1/sightings/${s.view.id}.jpg`;
        })
        .catch((err: unknown) => this.log.warn('cannot crop a sighting', { id: s.view.id, error: err as Error }));
  }

  sightings(limit: number): SightingView[] {
    return this.recent.slice(0, limit).map((s) => ({ ...s.view }));
  }

  sightingJpeg(id: string): Buffer | undefined {
    return this.recent.find((s) => s.view.id === id)?.jpeg;
  }

  cameras(): readonly string[] {
    return this.cameraIds;
  }

  async frameJpeg(camera = this.cameraIds[0]): Promise<Buffer | null> {
    const f = camera === undefined ? undefined : this.latest.get(camera);
    if (!f) return null;
    const { width, height, data } = f.image;
    return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } })
      .composite([{ input: Buffer.from(overlaySvg(width, height, f.overlays)), top: 0, left: 0 }])
      .jpeg({ quality: 80 })
      .toBuffer();
  }

  subscribe(listener: (e: PetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Pure: the overlays of a processed frame: each visible track with its pet, visitor, `unknown` or `?` (not decided yet). */
export function trackOverlays(result: Pick<FrameResult, 'tracks' | 'unknowns'>): Overlay[] {
  const visitors = new Map(result.unknowns.map((u) => [u.track, u.visitor]));
  return result.tracks
    .filter((t) => t.observation >= 0)
    .map((t) => {
      const id = t.identity;
      if (id.kind === 'pet') return { box: t.box, text: `${id.pet.name} ${Math.round(id.confidence * 100)}%`, known: true };
      if (id.kind === 'unknown') return { box: t.box, text: visitors.get(t.id) ?? 'unknown', known: false };
      return { box: t.box, text: `${t.label} ?`, known: false };
    });
}
