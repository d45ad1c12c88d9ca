/**
 * The models as the cameras' frame processors see them: one inference per
 * model at a time across all cameras. Each onnxruntime run already uses every
 * intra-op thread it is given (inference.threads), so two cameras running the
 * detector at once only split the same cores and thrash their caches; queued,
 * each run gets the whole CPU (or GPU). Measured on the 2-core build machine
 * (bench/cameras.ts, both models on onnxruntime): 2 cameras 5.0 -> 8.8 frames/s
 * in total, 4 cameras 4.5 -> 9.5 with one queue for both models, and 8.0 / 6.5
 * with a queue per model (the embedder then competes with the detector for
 * the same cores). So both models share one queue when both run on the CPU
 * (`cpuOnly()`), and queue apart otherwise (a Jetson: the detector on the GPU
 * while the embedder uses the CPU). The parts are read at each call: the
 * daemon builds this before the models load.
 */
import type { Detection, Detector, Embedder, Matcher } from '../recognition/types.js';
import type { RgbImage } from '../vision/image.js';
import type { FrameModels } from './frame-processor.js';

export class SerialModels implements FrameModels {
  private readonly models: FrameModels;
  private readonly tails = { detector: Promise.resolve() as Promise<unknown>, embedder: Promise.resolve() as Promise<unknown> };
  readonly detector: Detector;
  readonly embedder: Embedder;

  private readonly cpuOnly: () => boolean;

  constructor(models: FrameModels, cpuOnly: () => boolean) {
    this.models = models;
    this.cpuOnly = cpuOnly;
    this.detector = {
      detect: (img: RgbImage): Promise<Detection[]> => this.queued('detector', () => this.models.detector.detect(img)),
      dispose: () => this.models.detector.dispose(),
    };
    this.embedder = {
      get modelId() {
        return models.embedder.modelId;
      },
      embed: (img, boxes, opts) => this.queued('embedder', () => this.models.embedder.embed(img, boxes, opts)),
      dispose: () => this.models.embedder.dispose(),
    };
  }

  get matcher(): Matcher {
    return this.models.matcher;
  }

  /** Runs `job` after every job queued on the same model before it, whether those failed or not. */
  private queued<T>(model: 'detector' | 'embedder', job: () => Promise<T>): Promise<T> {
    const queue = this.cpuOnly() ? 'detector' : model;
    const run = this.tails[queue].then(job, job);
    this.tails[queue] = run.catch(() => undefined);
    return run;
  }
}
