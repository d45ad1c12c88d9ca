/**
 * Typed errors with stable codes.
 *
 * Contract: callers branch on `err.code` (or `instanceof`), never on message text.
 * Messages are for humans and may change; codes are API and must not.
 */
/**
 * Every error code, kept as data and grouped by the module that raises it.
 * Codes are API: tests, callers and the CLI's hints branch on them, never on
 * message text. The native addon's codes (`native`, `inference`'s TRT_*,
 * `vision`'s image checks) are also named constants in native/src/codes.h; a
 * test checks that the two lists agree.
 */
export const ERROR_CODES = {
  core: [
    'INTERNAL',
    'USAGE',
    'CONFIG_INVALID',
    'ENV_FILE_UNREADABLE',
    'ENV_FILE_INVALID',
    'ENV_VALUE_INVALID',
    // The state directory (runtime/state-dir.ts; `gloves doctor` reports the last two as well).
    'STATE_DIR_INVALID',
    'STATE_NOT_WRITABLE',
    'DISK_FULL',
  ],
  camera: [
    'URI_INVALID',
    'SOURCE_NOT_FOUND',
    'SOURCE_UNSUPPORTED',
    'PIPELINE_INVALID',
    'SOURCE_FAILED',
    'SOURCE_TIMEOUT',
    'SOURCE_STOPPED',
  ],
  vision: [
    'IMAGE_INVALID',
    'IMAGE_DECODE_FAILED',
    'IMAGE_TOO_LARGE',
    'IMAGE_NOT_FOUND',
    'SIZE_INVALID',
    'REGION_INVALID',
    'REGION_OUTSIDE',
    'BUFFER_TOO_SMALL',
  ],
  native: ['NATIVE_FAILED', 'NATIVE_LOAD_FAILED', 'NATIVE_BAD_ARGUMENT', 'NMS_INVALID', 'ENGINE_BUSY', 'ENGINE_DISPOSED'],
  models: [
    'MANIFEST_INVALID',
    'MANIFEST_NOT_FOUND',
    'MODEL_NOT_FOUND',
    'MODEL_LOAD_FAILED',
    'SHA256_MISMATCH',
    'DOWNLOAD_FAILED',
    'DERIVE_FAILED',
    'SOURCE_UNAVAILABLE',
    'BUNDLE_INVALID',
    'BUNDLE_UNSIGNED',
    'BUNDLE_BAD_SIGNATURE',
    'BUNDLE_UNTRUSTED_KEY',
    'BUNDLE_HASH_MISMATCH',
    'BUNDLE_FILE_MISSING',
    'BUNDLE_ARCHIVE_UNSAFE',
    'SIGNING_KEY_INVALID',
    'MODEL_VERSION_NOT_FOUND',
    'MODEL_SMOKE_FAILED',
    'MODEL_NO_PREVIOUS',
    'MODEL_SWAP_BUSY',
  ],
  inference: [
    'BACKEND_UNAVAILABLE',
    'INFERENCE_FAILED',
    'SESSION_DISPOSED',
    'TRT_UNSUPPORTED',
    'TRT_UNSUPPORTED_MODEL',
    'TRT_PARSE_FAILED',
    'TRT_BUILD_FAILED',
    'TRT_LOAD_FAILED',
    'TRT_DESERIALIZE_FAILED',
    'TRT_RUN_FAILED',
    'TRT_CALIBRATION_CACHE_REJECTED',
    'TRT_INTERNAL',
  ],
  recognition: [
    'NO_ANIMAL',
    'MULTIPLE_ANIMALS',
    'EMBEDDING_DIM_MISMATCH',
    'STATS_INVALID',
    'STATS_MODEL_MISMATCH',
    'GALLERY_NOT_FOUND',
    'GALLERY_CORRUPT',
    'GALLERY_MODEL_MISMATCH',
    'GALLERY_WRITE_FAILED',
    'PET_NAME_INVALID',
    'PET_NOT_FOUND',
    'PET_EXISTS',
    'PHOTO_NOT_FOUND',
    'PET_NAME_CONFLICT',
    'NO_PHOTOS_ENROLLED',
    'DUPLICATE_PHOTO',
    'GALLERY_LOCKED',
    'CASCADE_INVALID',
    'CASCADE_UNSUPPORTED',
  ],
  evaluation: [
    'DATASET_NOT_FOUND',
    'DATASET_EMPTY',
    'DATASET_CACHE_INVALID',
    'EVAL_FOLDS_INVALID',
    'EVAL_NOTHING_SCORED',
    'FEATURES_MISALIGNED',
  ],
  presence: ['VISITOR_NOT_FOUND', 'VISITORS_CORRUPT'],
  events: ['OUTBOX_CLOSED', 'OUTBOX_ORDER', 'OUTBOX_WRITE', 'EVENTS_LOST'],
  mqtt: [
    'MQTT_URL',
    'MQTT_AUTH',
    'MQTT_TLS',
    'MQTT_PROTOCOL_MISMATCH',
    'MQTT_TLS_FILE',
    'MQTT_REFUSED',
    'MQTT_UNREACHABLE',
    'MQTT_BROKER_UNAVAILABLE',
  ],
  runtime: ['COMPONENT_FAILED', 'PIPELINE_FAILED', 'START_INTERRUPTED'],
  http: [
    'HTTP_BIND',
    'HTTP_NO_TOKEN',
    'HTTP_TLS_FILE',
    'HTTP_BAD_REQUEST',
    'HTTP_UNAUTHORIZED',
    'HTTP_NOT_FOUND',
    'HTTP_METHOD_NOT_ALLOWED',
    'HTTP_PAYLOAD_TOO_LARGE',
    'HTTP_UNSUPPORTED_MEDIA',
    'HTTP_RATE_LIMITED',
    'HTTP_UNAVAILABLE',
    'ID_INVALID',
    'SIGHTING_NOT_FOUND',
    'CAMERA_NOT_FOUND',
  ],
  ops: ['LOG_NOT_FOUND'],
  trainer: [
    'CALIBRATION_CACHE_INVALID',
    'CALIBRATION_MODEL_MISMATCH',
    'CALIBRATION_SET_INVALID',
    'CAPTURE_FAILED',
    'DYNAMIC_SHAPE',
    'EVAL_GATE_FAILED',
    'FRAMES_EMPTY',
    'MODEL_TASK_MISMATCH',
    'ONNX_INVALID',
    'RANGE_INVALID',
    'SHAPE_INVALID',
    'TENSOR_NAME_INVALID',
    'TENSOR_NOT_FOUND',
    'TRT_VERSION_INVALID',
    'UNSUPPORTED_OP',
    'REGISTRY_NOT_FOUND',
    'REGISTRY_NO_READY_VERSION',
    'REGISTRY_AUTH',
    'REGISTRY_PROXY_DISABLED',
    'REGISTRY_FAILED',
    'DOWNLOAD_TRUNCATED',
    'ARTIFACT_NOT_A_MODEL',
    'PUSH_FAILED',
    'PUSH_REJECTED',
  ],
} as const;

export type ErrorModule = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorModule][number];

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES).flat());

/** Whether `code` is one of ERROR_CODES (for codes that arrive as plain strings, e.g. from the addon). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ALL_CODES.has(code);
}

export class GlovesError extends Error {
  /** Stable, SCREAMING_SNAKE identifier from ERROR_CODES. */
  readonly code: ErrorCode;
  /**
   * Optional structured context (paths, URIs, sizes) for logs and JSON output.
   * Not called `details`: uvu's reporter treats an error's `details` as a string.
   */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = details;
  }

  /**
   * `err` itself when it is a GlovesError, else one wrapping it with `code`
   * (default INTERNAL), its message, and the original as `cause`.
   */
  static from(err: unknown, code: ErrorCode = 'INTERNAL'): GlovesError {
    if (err instanceof GlovesError) return err;
    const message =
      err instanceof Error
        ? err.message
        : typeof (err as { message?: unknown })?.message === 'string'
          ? (err as { message: string }).message
          : String(err);
    return new GlovesError(code, message, {}, { cause: err });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.context };
  }
}

/** One or more config problems, each already formatted as `path: message`. */
export class ConfigError extends GlovesError {
  readonly problems: readonly string[];
  constructor(problems: string[], source: string) {
    super('CONFIG_INVALID', `invalid config (${source}):\n  ${problems.join('\n  ')}`, { source, problems });
    this.problems = problems;
  }
}

/** Bad command-line usage (unknown flag, missing argument). */
export class UsageError extends GlovesError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('USAGE', message, details);
  }
}

/** A model file or manifest that is missing, malformed, or fails its sha256 check. */
export class ModelError extends GlovesError {}

/** True when `err` is a GlovesError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof GlovesError && err.code === code;
}
