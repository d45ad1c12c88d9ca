/**
 * Home Assistant availability (pure): which retained topics say an entity can be trusted.
 *
 * A pet's entities are available only while the daemon is up AND at least one camera is: with
 * every camera down, "away" would be a guess. HA cannot OR topics inside an availability list, so
 * the daemon publishes the OR itself on `<base>/cameras_online` (`online` while any camera is),
 * and the list ANDs it with the daemon's own `status` (whose last will covers a crash).
 * A camera's own entities follow the daemon and that camera's `<base>/cameras/<id>/status`.
 */
import { topics, type TopicConfig } from './topics.js';

export interface Availability {
  availability: { topic: string; payload_available: 'online'; payload_not_available: 'offline' }[];
  availability_mode: 'all';
}

const entry = (topic: string): Availability['availability'][number] => ({
  topic,
  payload_available: 'online',
  payload_not_available: 'offline',
});

/** For each pet entity: the daemon and at least one camera are up. */
export function petAvailability(ctx: TopicConfig): Availability {
  return { availability: [entry(topics.status(ctx)), entry(topics.camerasOnline(ctx))], availability_mode: 'all' };
}

/** For an entity of one camera (e.g. the hub's per-camera status): the daemon and that camera are up. */
export function cameraAvailability(ctx: TopicConfig, cameraId: string): Availability {
  return { availability: [entry(topics.status(ctx)), entry(topics.cameraStatus(ctx, cameraId))], availability_mode: 'all' };
}
