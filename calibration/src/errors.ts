/**
 * Trainer error codes (stable API; tests assert on `.code`):
 * - ONNX_INVALID: the file is not a decodable ONNX ModelProto.
 * - DYNAMIC_SHAPE: an input has a symbolic/unknown dim and no shape was given.
 * - SHAPE_INVALID: a given shape does not fit the model input.
 * - UNSUPPORTED_OP: the graph holds an op the quantizer cannot handle (details.op names it).
 * - TENSOR_NAME_INVALID: a tensor name cannot be written to a TensorRT cache (e.g. contains ':').
 * - TENSOR_NOT_FOUND: a named tensor is not in the graph.
 * - TRT_VERSION_INVALID: a TensorRT version string is not X.Y.Z of a supported major.
 * - CALIBRATION_MODEL_MISMATCH: a calibration set was made for another model (sha256 differs).
 * - CALIBRATION_SET_INVALID: a calibration set directory is missing or malformed.
 * - FRAMES_EMPTY: a frames directory holds no images.
 * - DATASET_EMPTY: an evaluation dataset holds no images.
 * - EVAL_GATE_FAILED: the candidate dropped more than the gate allows.
 * - CAPTURE_FAILED: the camera gave no frames.
 */
import { GlovesError } from '../../daemon/src/errors.js';

export class TrainerError extends GlovesError {}
