/**
 * Home Assistant MQTT discovery payloads of a pet (pure). Each enrolled pet is
 * one HA device, reached through the Gloves box (`via_device`, ./hub-discovery.ts),
 * with: presence (binary_sensor, device class `occupancy` or `presence`), last
 * seen (timestamp sensor), last camera (diagnostic sensor), the latest snapshot
 * (image), an `event` entity for seen/left, and `arrived`/`left` device triggers.
 * Events share one topic: the templates keep this pet's, and drop replays
 * (`"replayed": true`, an outbox delivery long after the fact), so an automation
 * never fires on an old arrival. Entities carry unique_id, device and origin;
 * pet entities are available while the daemon is online AND a camera is
 * (`availability_mode: all`). An empty retained payload on the same topic removes an entity.
 */
import type { Identity } from '../recognition/types.js';
import { petAvailability } from './availability.js';
import { safeId, topics, type HaComponent, type TopicConfig } from './topics.js';

/**
 * Where Home Assistant users get help (origin.support_url) when package.json names neither a homepage nor a
 * repository (it names none yet): a placeholder until the project's public address is known.
 */
export const SUPPORT_URL = 'https://github.com/gloves-pet/gloves#home-assistant';

export interface DiscoveryContext extends TopicConfig {
  deviceName: string;
  swVersion: string;
  /** Shown as the device's "visit" link when the HTTP API is enabled. */
  configurationUrl?: string | undefined;
  /** origin.support_url; SUPPORT_URL when absent. */
  supportUrl?: string | undefined;
  /** The presence sensor's device class (mqtt.homeAssistant.presenceDeviceClass); occupancy when absent. */
  presenceDeviceClass?: 'occupancy' | 'presence';
  /** The cameras (the hub's per-camera status entities): id (names the topics) and display name; none when absent. */
  cameras?: readonly { id: string; name: string }[];
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON config, or '' to delete the entity. */
  payload: string;
}

export interface EntitySpec {
  component: HaComponent;
  entity: string;
  config: Record<string, unknown>;
}

/** Every entity key of a pet, with its platform (removal needs them without a pet). */
export const PET_ENTITIES = {
  presence: 'binary_sensor',
  last_seen: 'sensor',
  camera: 'sensor',
  event: 'event',
  snapshot: 'image',
  arrived: 'device_automation',
  left: 'device_automation',
} as const satisfies Record<string, HaComponent>;

export const ENTITY_KEYS = Object.keys(PET_ENTITIES) as (keyof typeof PET_ENTITIES)[];

/** Jinja (HA) and nunjucks (the tests) both read this; every delivered event carries `replayed` (../mqtt/bridge.ts). */
const LIVE = 'not value_json.replayed';

function petEntities(ctx: DiscoveryContext, pet: Identity): EntitySpec[] {
  const state = topics.petState(ctx, pet.petId);
  const events = topics.events(ctx);
  const na = "'None'";
  const mine = `value_json.pet_id == ${JSON.stringify(pet.petId)}`;
  // A device trigger fires when the rendered value equals its payload (the event type).
  const trigger = `{{ value_json.type if ${mine} and ${LIVE} else '' }}`;
  return [
    {
      component: 'binary_sensor',
      entity: 'presence',
      config: {
        name: 'Presence',
        device_class: ctx.presenceDeviceClass ?? 'occupancy',
        state_topic: state,
        value_template: "{{ 'ON' if value_json.state == 'present' else 'OFF' }}",
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: state,
      },
    },
    {
      component: 'sensor',
      entity: 'last_seen',
      config: {
        name: 'Last seen',
        device_class: 'timestamp',
        state_topic: state,
        value_template: `{{ value_json.last_seen if value_json.last_seen else ${na} }}`,
      },
    },
    {
      component: 'sensor',
      entity: 'camera',
      config: {
        name: 'Last camera',
        icon: 'mdi:cctv',
        entity_category: 'diagnostic',
        state_topic: state,
        value_template: `{{ value_json.last_camera if value_json.last_camera else ${na} }}`,
      },
    },
    {
      component: 'event',
      entity: 'event',
      config: {
        name: 'Sighting',
        icon: 'mdi:cat',
        state_topic: events,
        event_types: ['seen', 'left'],
        // Other pets' events and replays render empty, which HA ignores. `ts` is when it happened.
        value_template:
          `{% if ${mine} and ${LIVE} %}` +
          "{{ {'event_type': value_json.type, 'id': value_json.id, 'ts': value_json.ts, 'pet': value_json.pet, " +
          "'camera': value_json.camera, 'confidence': value_json.confidence, 'track': value_json.track} | tojson }}" +
          '{% endif %}',
      },
    },
    {
      component: 'image',
      entity: 'snapshot',
      config: { name: 'Snapshot', icon: 'mdi:cat', image_topic: topics.petSnapshot(ctx, pet.petId), content_type: 'image/jpeg' },
    },
    // Device triggers: "Mittens arrived" / "Mittens left" in HA's automation editor.
    {
      component: 'device_automation',
      entity: 'arrived',
      config: { automation_type: 'trigger', topic: events, type: 'arrived', subtype: pet.name, payload: 'seen', value_template: trigger },
    },
    {
      component: 'device_automation',
      entity: 'left',
      config: { automation_type: 'trigger', topic: events, type: 'left', subtype: pet.name, payload: 'left', value_template: trigger },
    },
  ];
}

export function petDeviceId(ctx: TopicConfig, petId: string): string {
  return `${topics.nodeId(ctx)}_${safeId(petId)}`;
}

/** The HA device of the Gloves box itself (pets point to it with via_device). */
export function hubDeviceId(ctx: TopicConfig): string {
  return topics.nodeId(ctx);
}

export function origin(ctx: DiscoveryContext): Record<string, unknown> {
  return { name: 'Gloves', sw_version: ctx.swVersion, support_url: ctx.supportUrl ?? SUPPORT_URL };
}

/** Finishes an entity: unique_id, qos, device, origin; device triggers take only what their platform allows. */
export function discoveryMessage(
  ctx: DiscoveryContext,
  objectPrefix: string,
  device: Record<string, unknown>,
  availability: object,
  e: EntitySpec,
): DiscoveryMessage {
  const topic = topics.discovery(ctx, e.component, objectPrefix, e.entity);
  const common =
    e.component === 'device_automation'
      ? { qos: 1, device }
      : { unique_id: `${topics.nodeId(ctx)}_${safeId(objectPrefix)}_${e.entity}`, qos: 1, ...availability, device };
  return { topic, payload: JSON.stringify({ ...e.config, ...common, origin: origin(ctx) }) };
}

/** Discovery configs that announce a pet (retained). */
export function announcePet(ctx: DiscoveryContext, pet: Identity): DiscoveryMessage[] {
  const device: Record<string, unknown> = {
    identifiers: [petDeviceId(ctx, pet.petId)],
    name: pet.name,
    manufacturer: 'Gloves',
    model: `Pet identity (${ctx.deviceName})`,
    sw_version: ctx.swVersion,
    via_device: hubDeviceId(ctx),
  };
  if (ctx.configurationUrl) device.configuration_url = ctx.configurationUrl;
  return petEntities(ctx, pet).map((e) => discoveryMessage(ctx, pet.petId, device, petAvailability(ctx), e));
}

/** Empty retained payloads that remove a pet's entities. */
export function removePet(ctx: TopicConfig, petId: string): DiscoveryMessage[] {
  return ENTITY_KEYS.map((k) => ({ topic: topics.discovery(ctx, PET_ENTITIES[k], petId, k), payload: '' }));
}
