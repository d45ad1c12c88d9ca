/**
 * Per-pet states on disk (`<stateDir>/pets.json`), so the retained states are
 * restored after a restart and Home Assistant never sees `unknown`. Also
 * remembers which pets were announced to Home Assistant, so the entities of a
 * pet deleted from the gallery can be removed.
 *
 * A corrupt file is moved aside (never deleted) with an error log, and the
 * daemon starts with every pet away.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { formatIssues } from '../util/zod-issues.js';
import type { PetState } from './types.js';

const stateSchema = z.object({
  state: z.enum(['present', 'away']),
  last_seen: z.string().nullable(),
  // Absent in files written before there were several cameras: the camera field says the same.
  last_camera: z.string().nullable().optional(),
  camera: z.string().nullable(),
  confidence: z.number().nullable(),
});

const fileSchema = z.object({
  version: z.literal(1),
  pets: z.record(z.string(), z.object({ name: z.string(), state: stateSchema })),
});

export type StoredPets = z.infer<typeof fileSchema>['pets'];

export class PetStateStore {
  private readonly path: string;
  private readonly log: Logger;

  constructor(stateDir: string, log: Logger) {
    this.path = join(stateDir, 'pets.json');
    this.log = log;
  }

  load(): StoredPets {
    if (!existsSync(this.path)) return {};
    let reason: string;
    try {
      const res = fileSchema.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      if (res.success) return res.data.pets;
      reason = formatIssues(res.error.issues).join('; ');
    } catch (err) {
      reason = (err as Error).message;
    }
    const aside = `${this.path}.corrupt-${Date.now()}`;
    renameSync(this.path, aside);
    this.log.error('pet state file is corrupt; moved it aside and starting with every pet away', {
      file: this.path,
      movedTo: aside,
      reason,
    });
    return {};
  }

  save(pets: StoredPets): void {
    writeFileAtomic(this.path, JSON.stringify({ version: 1, pets }, null, 1) + '\n');
  }
}

export function storedStates(pets: StoredPets): Record<string, PetState> {
  const out: Record<string, PetState> = {};
  for (const [id, p] of Object.entries(pets)) out[id] = { ...p.state, last_camera: p.state.last_camera ?? p.state.camera };
  return out;
}
