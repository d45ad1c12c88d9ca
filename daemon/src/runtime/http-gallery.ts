/**
 * The HTTP API's recognition, pets and visitors (http/ports.ts), on the daemon's own models and
 * gallery: every change goes through the running Gallery and then GallerySync, so the matcher,
 * presence and discovery follow at once. Enrolment is recognition's enrolPhotos, the code path
 * and checks of `gloves enroll`.
 */
import { GlovesError } from '../errors.js';
import type { CompareResult, EnrolResult, PetsPort, PetView, RecognitionPort, Upload, VisitorsPort, VisitorView } from '../http/ports.js';
import type { Logger } from '../log/logger.js';
import type { Presence } from '../presence/presence.js';
import { compareEmbeddings, enrolPhotos, identifyAnimals, type EnrolImage, type GalleryPet } from '../recognition/index.js';
import { decodeImage } from '../vision/decode.js';
import type { GallerySync } from './gallery-sync.js';
import type { RecognitionService } from './recognition-service.js';
import type { VisitorRecorder } from './visitor-recorder.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const r1 = (x: number): number => Math.round(x * 10) / 10;

export class HttpRecognition implements RecognitionPort {
  private readonly rec: RecognitionService;

  constructor(rec: RecognitionService) {
    this.rec = rec;
  }

  async identify(image: Upload) {
    return identifyAnimals(this.rec, await decodeImage(image.bytes, image.name));
  }

  /** Each image's most confident animal is compared; an image without one is reported, not fatal (the anchor's is). */
  async compare(anchor: Upload, others: readonly Upload[]): Promise<CompareResult> {
    const a = await this.best(anchor);
    const results: CompareResult['results'] = [];
    for (const o of others) {
      try {
        const b = await this.best(o);
        const [c] = compareEmbeddings(a.embedding, [b.embedding], this.rec.matcher.rule, this.rec.stats);
        results.push({ image: o.name, ...b.det, similarity: r3(c!.similarity), probability: r3(c!.probability) });
      } catch (err) {
        const e = GlovesError.from(err);
        if (e.code === 'INTERNAL') throw err;
        results.push({ image: o.name, error: { code: e.code, message: e.message } });
      }
    }
    return { anchor: { image: anchor.name, ...a.det }, results };
  }

  private async best(u: Upload) {
    const img = await decodeImage(u.bytes, u.name);
    const dets = await this.rec.detector.detect(img);
    const d = [...dets].sort((x, y) => y.score - x.score)[0];
    if (!d) throw new GlovesError('NO_ANIMAL', `no cat or dog detected in ${u.name}`, { image: u.name });
    const [embedding] = await this.rec.embedder.embed(img, [d.box]);
    return { det: { label: d.label, score: r3(d.score), box: d.box.map(r1) as typeof d.box }, embedding: embedding! };
  }
}

export interface HttpGalleryParts {
  recognition: RecognitionService;
  presence: Presence;
  sync: GallerySync;
  cropMargin: number;
  log: Logger;
}

export class HttpGallery implements PetsPort {
  private readonly p: HttpGalleryParts;

  constructor(parts: HttpGalleryParts) {
    this.p = parts;
  }

  private get gallery() {
    return this.p.recognition.gallery;
  }

  private view(pet: GalleryPet): PetView {
    return {
      id: pet.id,
      name: pet.name,
      created_at: pet.createdAt,
      photos: pet.photos.map((ph) => ({
        id: ph.id,
        added_at: ph.addedAt,
        label: ph.label,
        score: r3(ph.score),
        url: `/v1/pets/${pet.id}/photos/${ph.id}.jpg`,
      })),
      state: this.p.presence.state(pet.id) ?? null,
    };
  }

  private pet(id: string): GalleryPet {
    const pet = this.gallery.pets().find((p) => p.id === id);
    if (!pet) throw new GlovesError('PET_NOT_FOUND', `no pet with id ${JSON.stringify(id)}`, { pet: id });
    return pet;
  }

  list(): PetView[] {
    return this.gallery.pets().map((p) => this.view(p));
  }

  get(id: string): PetView {
    return this.view(this.pet(id));
  }

  async create(name: string): Promise<PetView> {
    if (this.gallery.findPet(name.trim()))
      throw new GlovesError('PET_EXISTS', `a pet called ${JSON.stringify(name.trim())} already exists`, { name });
    const pet = await this.gallery.addPhotos(name, []);
    this.p.sync.changed(`pet ${pet.name} created`);
    return this.view(pet);
  }

  async remove(id: string): Promise<void> {
    await this.gallery.removePet(this.pet(id).id);
    this.p.sync.changed(`pet ${id} removed`);
  }

  async addPhotos(id: string, photos: readonly Upload[]): Promise<EnrolResult> {
    return this.enrol(
      this.pet(id).name,
      photos.map((u) => ({ source: u.name, bytes: u.bytes })),
    );
  }

  async removePhoto(id: string, photo: string): Promise<void> {
    await this.gallery.removePhoto(this.pet(id).id, photo);
    this.p.sync.changed(`photo of ${id} removed`);
  }

  photoFile(id: string, photo: string): string {
    const ph = this.pet(id).photos.find((x) => x.id === photo);
    if (!ph) throw new GlovesError('PHOTO_NOT_FOUND', `pet ${id} has no photo ${JSON.stringify(photo)}`, { pet: id, photo });
    return this.gallery.cropPath(ph);
  }

  /** Enrols photos as the pet called `name` (created when new); throws NO_PHOTOS_ENROLLED when none passes the checks. */
  async enrol(name: string, images: readonly EnrolImage[]): Promise<EnrolResult> {
    const { recognition: rec, cropMargin, log } = this.p;
    const { pet, outcomes } = await enrolPhotos(
      { detector: rec.detector, embedder: rec.embedder, gallery: rec.gallery, cropMargin, log },
      name,
      images,
    );
    if (!pet)
      throw new GlovesError(
        'NO_PHOTOS_ENROLLED',
        `no photo of ${name} was enrolled: ${outcomes.map((o) => `${o.image}: ${o.reason}`).join('; ')}`,
        {
          results: outcomes,
        },
      );
    this.p.sync.changed(`photos of ${pet.name} enrolled`);
    return { pet: this.view(pet), results: outcomes };
  }
}

export class HttpVisitors implements VisitorsPort {
  private readonly recorder: VisitorRecorder;
  private readonly pets: HttpGallery;

  constructor(recorder: VisitorRecorder, pets: HttpGallery) {
    this.recorder = recorder;
    this.pets = pets;
  }

  private visitor(id: string) {
    const v = this.recorder.visitors?.get(id);
    if (!v) throw new GlovesError('VISITOR_NOT_FOUND', `no visitor ${JSON.stringify(id)}`, { visitor: id });
    return v;
  }

  list(): VisitorView[] {
    return (this.recorder.visitors?.list() ?? []).map((v) => ({
      id: v.id,
      sightings: v.sightings,
      first_seen: v.firstSeen,
      last_seen: v.lastSeen,
      crops: v.crops.map((c) => ({ file: c.file, url: `/v1/visitors/${v.id}/crops/${c.file}` })),
    }));
  }

  async name(id: string, name: string): Promise<EnrolResult> {
    const v = this.visitor(id);
    if (v.crops.length === 0)
      throw new GlovesError('NO_PHOTOS_ENROLLED', `visitor ${id} has no crop yet; nothing was enrolled`, { visitor: id });
    const result = await this.pets.enrol(
      name,
      v.crops.map((c) => this.recorder.cropPath(id, c.file)),
    );
    this.recorder.forget(id);
    return result;
  }

  async forget(id: string): Promise<void> {
    this.visitor(id);
    this.recorder.forget(id);
  }

  cropFile(id: string, file: string): string {
    if (!this.visitor(id).crops.some((c) => c.file === file))
      throw new GlovesError('PHOTO_NOT_FOUND', `visitor ${id} has no crop ${JSON.stringify(file)}`, { visitor: id, file });
    return this.recorder.cropPath(id, file);
  }
}
