/**
 * Topic builders (pure). Base topic `<baseTopic>/<deviceId>`; Home Assistant
 * discovery under `<discoveryPrefix>/<component>/<node_id>/<object_id>/config`
 * where node_id is `gloves_<deviceId>` and object_id `<petId>_<entity>` for a pet's entities,
 * `_hub_<entity>` for the Gloves box's own (pet ids are slugs that never start with `_`).
 * Ids in discovery topics may only hold [a-zA-Z0-9_-]; anything else becomes `_`.
 */
export interface TopicConfig {
  baseTopic: string;
  deviceId: string;
  discoveryPrefix: string;
}

export type HaComponent = 'binary_sensor' | 'sensor' | 'event' | 'image' | 'device_automation';

/** The discovery object id prefix of the hub device's entities. */
export const HUB_OBJECT = '_hub';

export function safeId(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, '_');
}

export function baseTopic(c: TopicConfig): string {
  return `${c.baseTopic.replace(/\/+$/, '')}/${c.deviceId}`;
}

export const topics = {
  status: (c: TopicConfig) => `${baseTopic(c)}/status`,
  events: (c: TopicConfig) => `${baseTopic(c)}/events`,
  /** The active model version (retained) and, below it, each install, rejection, rollback (not retained). */
  model: (c: TopicConfig) => `${baseTopic(c)}/model`,
  modelEvents: (c: TopicConfig) => `${baseTopic(c)}/model/events`,
  petState: (c: TopicConfig, petId: string) => `${baseTopic(c)}/pets/${safeId(petId)}/state`,
  petSnapshot: (c: TopicConfig, petId: string) => `${baseTopic(c)}/pets/${safeId(petId)}/snapshot`,
  cameraState: (c: TopicConfig, camera: string) => `${baseTopic(c)}/cameras/${safeId(camera)}/state`,
  /** Retained `online`/`offline`: the camera delivers frames. */
  cameraStatus: (c: TopicConfig, camera: string) => `${baseTopic(c)}/cameras/${safeId(camera)}/status`,
  /** Retained `online` while at least one camera delivers frames, else `offline` (pet availability: ./availability.ts). */
  camerasOnline: (c: TopicConfig) => `${baseTopic(c)}/cameras_online`,
  /** Retained JPEG of the latest unknown animal. */
  unknownSnapshot: (c: TopicConfig) => `${baseTopic(c)}/unknown/snapshot`,
  /** Retained JSON of the box itself: fps, outbox depth, model version. */
  stats: (c: TopicConfig) => `${baseTopic(c)}/stats`,
  haStatus: (c: TopicConfig) => `${c.discoveryPrefix}/status`,
  nodeId: (c: TopicConfig) => `gloves_${safeId(c.deviceId)}`,
  discovery: (c: TopicConfig, component: HaComponent, petId: string, entity: string) =>
    `${c.discoveryPrefix}/${component}/gloves_${safeId(c.deviceId)}/${safeId(petId)}_${entity}/config`,
  /** Every discovery config under this device's node id (what discovery hygiene reads back). */
  discoveryFilter: (c: TopicConfig) => `${c.discoveryPrefix}/+/gloves_${safeId(c.deviceId)}/+/config`,
};
