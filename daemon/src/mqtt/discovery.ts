/**
 * Home Assistant MQTT discovery payloads (pure). Each enrolled pet is one HA
 * device with four entities: presence (binary_sensor), last seen (timestamp
 * sensor), last camera (sensor) and an `event` entity fed from the shared
 * events topic (the template keeps only this pet's events). Every config
 * carries unique_id, device, origin and availability on `<base>/status`.
 * An empty retained payload on the same topics removes the entities.
 */
import type { Identity } from '../recognition/types.js';
import { safeId, topics, type HaComponent, type TopicConfig } from './topics.js';

export interface DiscoveryContext extends TopicConfig {
  deviceName: string;
  swVersion: string;
  /** Shown as the device's "visit" link when the HTTP API is enabled. */
  configurationUrl?: string | undefined;
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON config, or '' to delete the entity. */
  payload: string;
}

interface EntitySpec {
  component: HaComponent;
  entity: string;
  config: Record<string, unknown>;
}

export const ENTITY_KEYS = ['presence', 'last_seen', 'camera', 'event'] as const;

function entities(ctx: DiscoveryContext, pet: Identity): EntitySpec[] {
  const state = topics.petState(ctx, pet.petId);
  const na = "'None'";
  return [
    {
      component: 'binary_sensor',
      entity: 'presence',
      config: {
        name: 'Presence',
        device_class: 'presence',
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
        state_topic: state,
        value_template: `{{ value_json.camera if value_json.camera else ${na} }}`,
      },
    },
    {
      component: 'event',
      entity: 'event',
      config: {
        name: 'Sighting',
        state_topic: topics.events(ctx),
        event_types: ['seen', 'left'],
        // One events topic serves every pet; other pets' events render empty and HA ignores them.
        value_template:
          `{% if value_json.pet_id == ${JSON.stringify(pet.petId)} %}` +
          "{{ {'event_type': value_json.type, 'id': value_json.id, 'confidence': value_json.confidence, 'camera': value_json.camera, 'track': value_json.track} | tojson }}" +
          '{% endif %}',
      },
    },
  ];
}

export function petDeviceId(ctx: TopicConfig, petId: string): string {
  return `${topics.nodeId(ctx)}_${safeId(petId)}`;
}

/** Discovery configs that announce a pet (retained). */
export function announcePet(ctx: DiscoveryContext, pet: Identity): DiscoveryMessage[] {
  const deviceId = petDeviceId(ctx, pet.petId);
  const device: Record<string, unknown> = {
    identifiers: [deviceId],
    name: pet.name,
    manufacturer: 'Gloves',
    model: `Pet identity (${ctx.deviceName})`,
    sw_version: ctx.swVersion,
  };
  if (ctx.configurationUrl) device.configuration_url = ctx.configurationUrl;
  return entities(ctx, pet).map((e) => ({
    topic: topics.discovery(ctx, e.component, pet.petId, e.entity),
    payload: JSON.stringify({
      ...e.config,
      unique_id: `${deviceId}_${e.entity}`,
      qos: 1,
      availability: [{ topic: topics.status(ctx), payload_available: 'online', payload_not_available: 'offline' }],
      device,
      origin: { name: 'Gloves', sw_version: ctx.swVersion },
    }),
  }));
}

/** Empty retained payloads that remove a pet's entities. */
export function removePet(ctx: TopicConfig, petId: string): DiscoveryMessage[] {
  const comp: Record<(typeof ENTITY_KEYS)[number], HaComponent> = {
    presence: 'binary_sensor',
    last_seen: 'sensor',
    camera: 'sensor',
    event: 'event',
  };
  return ENTITY_KEYS.map((k) => ({ topic: topics.discovery(ctx, comp[k], petId, k), payload: '' }));
}
