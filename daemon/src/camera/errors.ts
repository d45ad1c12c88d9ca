/**
 * Typed camera errors. Codes are API (tests and callers branch on them):
 * - URI_INVALID         the source URI cannot be parsed or names an unsupported scheme/pattern
 * - SOURCE_NOT_FOUND    a file, directory or device named by the URI does not exist
 * - SOURCE_UNSUPPORTED  the source exists but cannot be used here (not a video, csi:// off Jetson, empty directory)
 * - PIPELINE_INVALID    the GStreamer launch string was rejected (bug or missing plugin)
 * - SOURCE_FAILED       the pipeline reported an error, or stopped without EOS (e.g. v4l2 device busy/missing)
 * - SOURCE_TIMEOUT      no first frame within the start timeout
 * - SOURCE_STOPPED      the source was stopped while start() was pending
 */
import { GlovesError } from '../errors.js';

export type CameraErrorCode =
  'URI_INVALID' | 'SOURCE_NOT_FOUND' | 'SOURCE_UNSUPPORTED' | 'PIPELINE_INVALID' | 'SOURCE_FAILED' | 'SOURCE_TIMEOUT' | 'SOURCE_STOPPED';

export class CameraError extends GlovesError {
  declare readonly code: CameraErrorCode;
  constructor(code: CameraErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
  }
}
