/**
 * Home Assistant discovery of the Gloves box itself (pure): the hub device that
 * every pet device points to with `via_device`. It carries connectivity (the
 * daemon's status), one connectivity sensor per camera (its `status` topic), fps, outbox depth and
 * model version (diagnostic, from the retained stats topic), an `event` entity
 * for unknown animals and new visitors (with the visitor id), the latest
 * unknown animal's snapshot (image) and an "unknown animal seen" device trigger.
 */
import { safeId, topics, HUB_OBJECT } from './topics.js';
import { discoveryMessage, hubDeviceId, type DiscoveryContext, type DiscoveryMessage, type EntitySpec } from './discovery.js';

function hubEntities(ctx: DiscoveryContext): EntitySpec[] {
  const stats = topics.stats(ctx);
  const events = topics.events(ctx);
  const unknown = "value_json.type in ['unknown_seen', 'new_visitor'] and not value_json.replayed";
  const diagnostic = (entity: string, name: string, field: string, extra: Record<string, unknown>): EntitySpec => ({
    component: 'sensor',
    entity,
    // 'None' (HA: unknown) for a missing number; a bare null would render "None" in Jinja but "" elsewhere.
    config: {
      name,
      entity_category: 'diagnostic',
      state_topic: stats,
      value_template: `{{ value_json.${field} if value_json.${field} != none else 'None' }}`,
      ...extra,
    },
  });
  return [
    {
      component: 'binary_sensor',
      entity: 'connectivity',
      // No availability: this entity is the availability (off while the daemon is offline).
      config: {
        name: 'Connectivity',
        device_class: 'connectivity',
        state_topic: topics.status(ctx),
        payload_on: 'online',
        payload_off: 'offline',
      },
    },
    ...(ctx.cameras ?? []).map((camera): EntitySpec => ({
      component: 'binary_sensor',
      entity: `camera_${safeId(camera.id)}`,
      config: {
        name: `Camera ${camera.name}`,
        device_class: 'connectivity',
        icon: 'mdi:cctv',
        state_topic: topics.cameraStatus(ctx, camera.id),
        payload_on: 'online',
        payload_off: 'offline',
        // state (online/lost/failed/ended), since and the error, as attributes.
        json_attributes_topic: topics.cameraState(ctx, camera.id),
      },
    })),
    diagnostic('fps', 'Frames per second', 'fps', {
      unit_of_measurement: 'fps',
      state_class: 'measurement',
      icon: 'mdi:speedometer',
      // Each camera's fps as an attribute.
      json_attributes_topic: stats,
      json_attributes_template: '{{ value_json.cameras | tojson }}',
    }),
    diagnostic('outbox', 'Outbox depth', 'outbox', { unit_of_measurement: 'events', state_class: 'measurement', icon: 'mdi:tray-full' }),
    diagnostic('model', 'Model version', 'model', { icon: 'mdi:brain' }),
    {
      component: 'event',
      entity: 'unknown',
      config: {
        name: 'Unknown animal',
        icon: 'mdi:paw',
        state_topic: events,
        event_types: ['unknown_seen', 'new_visitor'],
        value_template:
          `{% if ${unknown} %}` +
          "{{ {'event_type': value_json.type, 'id': value_json.id, 'ts': value_json.ts, 'camera': value_json.camera, " +
          "'visitor': value_json.visitor if 'visitor' in value_json else none, 'confidence': value_json.confidence, 'track': value_json.track} | tojson }}" +
          '{% endif %}',
      },
    },
    {
      component: 'image',
      entity: 'unknown_snapshot',
      config: { name: 'Unknown animal snapshot', icon: 'mdi:paw', image_topic: topics.unknownSnapshot(ctx), content_type: 'image/jpeg' },
    },
    {
      component: 'device_automation',
      entity: 'unknown_seen',
      config: {
        automation_type: 'trigger',
        topic: events,
        type: 'seen',
        subtype: 'unknown animal',
        payload: 'unknown_seen',
        value_template: `{{ value_json.type if ${unknown} else '' }}`,
      },
    },
  ];
}

/** Discovery configs of the hub device (retained). */
export function announceHub(ctx: DiscoveryContext): DiscoveryMessage[] {
  const device: Record<string, unknown> = {
    identifiers: [hubDeviceId(ctx)],
    name: ctx.deviceName,
    manufacturer: 'Gloves',
    model: 'Gloves pet identity',
    sw_version: ctx.swVersion,
  };
  if (ctx.configurationUrl) device.configuration_url = ctx.configurationUrl;
  return hubEntities(ctx).map((e) => {
    // Only connectivity goes without availability: it shows the daemon offline instead of unavailable.
    const availability =
      e.entity === 'connectivity'
        ? {}
        : { availability: [{ topic: topics.status(ctx), payload_available: 'online', payload_not_available: 'offline' }] };
    return discoveryMessage(ctx, HUB_OBJECT, device, availability, e);
  });
}
