/**
 * JSON errors: every failure answers `{"error": {"code", "message"}}` with a stable code from
 * ERROR_CODES and the HTTP status that code means. Fastify's own errors (validation, body too
 * large, unsupported media type) and the plugins' are translated to our codes here, once.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { GlovesError, type ErrorCode } from '../errors.js';

/** HTTP status per error code; any code not listed is a 500 (our fault, not the client's). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  HTTP_BAD_REQUEST: 400,
  ID_INVALID: 400,
  IMAGE_INVALID: 400,
  IMAGE_DECODE_FAILED: 400,
  IMAGE_TOO_LARGE: 413,
  SIZE_INVALID: 400,
  PET_NAME_INVALID: 400,
  HTTP_UNAUTHORIZED: 401,
  HTTP_NO_TOKEN: 403,
  HTTP_NOT_FOUND: 404,
  PET_NOT_FOUND: 404,
  VISITOR_NOT_FOUND: 404,
  PHOTO_NOT_FOUND: 404,
  SIGHTING_NOT_FOUND: 404,
  CAMERA_NOT_FOUND: 404,
  HTTP_METHOD_NOT_ALLOWED: 405,
  PET_EXISTS: 409,
  HTTP_PAYLOAD_TOO_LARGE: 413,
  HTTP_UNSUPPORTED_MEDIA: 415,
  NO_ANIMAL: 422,
  MULTIPLE_ANIMALS: 422,
  NO_PHOTOS_ENROLLED: 422,
  HTTP_RATE_LIMITED: 429,
  BUNDLE_INVALID: 422,
  BUNDLE_UNSIGNED: 422,
  BUNDLE_BAD_SIGNATURE: 422,
  BUNDLE_UNTRUSTED_KEY: 422,
  BUNDLE_HASH_MISMATCH: 422,
  BUNDLE_FILE_MISSING: 422,
  BUNDLE_ARCHIVE_UNSAFE: 422,
  MODEL_SMOKE_FAILED: 422,
  MODEL_VERSION_NOT_FOUND: 404,
  MODEL_NO_PREVIOUS: 409,
  MODEL_SWAP_BUSY: 409,
  HTTP_UNAVAILABLE: 503,
  MQTT_BROKER_UNAVAILABLE: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Fastify's and its plugins' error codes, translated. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'HTTP_PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'HTTP_PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'HTTP_PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'HTTP_PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'HTTP_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'HTTP_UNSUPPORTED_MEDIA',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'HTTP_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'HTTP_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'HTTP_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_TYPE: 'HTTP_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_INVALID_TYPE: 'HTTP_UNSUPPORTED_MEDIA',
  FST_ERR_VALIDATION: 'HTTP_BAD_REQUEST',
  FST_PROTO_VIOLATION: 'HTTP_BAD_REQUEST',
};

/** Pure: any thrown value -> our error (code, message) and its status. */
export function toHttpError(err: unknown): { status: number; code: ErrorCode; message: string } {
  if (err instanceof GlovesError) return { status: statusOf(err.code), code: err.code, message: err.message };
  const f = err as Partial<FastifyError> & { validation?: unknown };
  const mapped = f.validation ? 'HTTP_BAD_REQUEST' : f.code ? FASTIFY_CODES[f.code] : undefined;
  if (mapped) return { status: statusOf(mapped), code: mapped, message: f.message ?? mapped };
  // A plugin's own client error (4xx) keeps its status; its code is ours.
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500)
    return { status: f.statusCode, code: 'HTTP_BAD_REQUEST', message: f.message ?? 'bad request' };
  return { status: 500, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = toHttpError(err);
  return reply
    .code(e.status)
    .type('application/json')
    .send({ error: { code: e.code, message: e.message } });
}

/** The error response's schema, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
