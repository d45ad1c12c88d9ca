/**
 * What Home Assistant's MQTT integration accepts in a discovery config, per
 * platform, written down from its documentation (home-assistant.io,
 * integrations binary_sensor.mqtt, sensor.mqtt, event.mqtt, image.mqtt,
 * device_trigger.mqtt, and the discovery section of mqtt: device and origin
 * blocks), and a Jinja-compatible renderer (nunjucks) for the templates.
 *
 * `checkConfig` returns the problems of one config: a required key missing, a
 * key the platform does not know, a value outside what the docs allow.
 */
import nunjucks from 'nunjucks';

type Platform = 'binary_sensor' | 'sensor' | 'event' | 'image' | 'device_automation';

/** Keys every MQTT entity platform takes (availability, device registry, naming, attributes). */
const ENTITY_COMMON = [
  'availability',
  'availability_mode',
  'availability_template',
  'availability_topic',
  'default_entity_id',
  'device',
  'enabled_by_default',
  'encoding',
  'entity_category',
  'entity_picture',
  'icon',
  'json_attributes_template',
  'json_attributes_topic',
  'name',
  'object_id',
  'origin',
  'payload_available',
  'payload_not_available',
  'platform',
  'qos',
  'unique_id',
];

export const HA_PLATFORMS: Record<Platform, { required: string[]; allowed: string[] }> = {
  binary_sensor: {
    required: ['state_topic'],
    allowed: [
      ...ENTITY_COMMON,
      'device_class',
      'expire_after',
      'force_update',
      'off_delay',
      'payload_off',
      'payload_on',
      'state_topic',
      'value_template',
    ],
  },
  sensor: {
    required: ['state_topic'],
    allowed: [
      ...ENTITY_COMMON,
      'device_class',
      'expire_after',
      'force_update',
      'last_reset_value_template',
      'options',
      'state_class',
      'state_topic',
      'suggested_display_precision',
      'unit_of_measurement',
      'value_template',
    ],
  },
  event: {
    required: ['state_topic', 'event_types'],
    allowed: [...ENTITY_COMMON, 'device_class', 'event_types', 'state_topic', 'value_template'],
  },
  // image_topic and url_topic: exactly one (checked below).
  image: {
    required: [],
    allowed: [...ENTITY_COMMON, 'content_type', 'image_encoding', 'image_topic', 'url_template', 'url_topic'],
  },
  // Device triggers are not entities: no unique_id, name or availability.
  device_automation: {
    required: ['automation_type', 'topic', 'type', 'subtype', 'device'],
    allowed: ['automation_type', 'device', 'origin', 'payload', 'platform', 'qos', 'subtype', 'topic', 'type', 'value_template'],
  },
};

export const DEVICE_KEYS = [
  'configuration_url',
  'connections',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
];
export const ORIGIN_KEYS = { required: ['name'], allowed: ['name', 'sw_version', 'support_url'] };
export const AVAILABILITY_KEYS = {
  required: ['topic'],
  allowed: ['topic', 'payload_available', 'payload_not_available', 'value_template'],
};

/** Device classes the docs list (binary_sensor: the subset that exists; sensor: those Gloves could use). */
const BINARY_SENSOR_CLASSES = ['connectivity', 'motion', 'occupancy', 'presence', 'problem', 'running'];
const SENSOR_CLASSES = ['timestamp', 'duration', 'enum'];

export function platformOf(topic: string): Platform {
  const p = topic.split('/')[1] as Platform;
  if (!(p in HA_PLATFORMS)) throw new Error(`not a platform Gloves uses: ${topic}`);
  return p;
}

function keys(where: string, obj: Record<string, unknown>, spec: { required: string[]; allowed: string[] }): string[] {
  const out: string[] = [];
  for (const k of spec.required) if (!(k in obj)) out.push(`${where}: required key ${k} missing`);
  for (const k of Object.keys(obj)) if (!spec.allowed.includes(k)) out.push(`${where}: key ${k} is not in the platform's documented keys`);
  return out;
}

/** The problems of one discovery config (empty: HA accepts it as documented). */
export function checkConfig(topic: string, c: Record<string, any>): string[] {
  const p = platformOf(topic);
  const out = keys(topic, c, HA_PLATFORMS[p]);
  out.push(...keys(`${topic} device`, c.device ?? {}, { required: ['identifiers'], allowed: DEVICE_KEYS }));
  if (c.origin) out.push(...keys(`${topic} origin`, c.origin, ORIGIN_KEYS));
  for (const a of c.availability ?? []) out.push(...keys(`${topic} availability`, a, AVAILABILITY_KEYS));
  if (c.availability_mode !== undefined && !['all', 'any', 'latest'].includes(c.availability_mode))
    out.push(`${topic}: availability_mode ${c.availability_mode}`);
  if (c.entity_category !== undefined && !['config', 'diagnostic'].includes(c.entity_category))
    out.push(`${topic}: entity_category ${c.entity_category}`);
  if (c.icon !== undefined && !/^mdi:[a-z0-9-]+$/.test(c.icon)) out.push(`${topic}: icon ${c.icon}`);
  if (p !== 'device_automation' && !c.unique_id) out.push(`${topic}: no unique_id (the device registry needs one)`);
  if (p === 'binary_sensor' && c.device_class !== undefined && !BINARY_SENSOR_CLASSES.includes(c.device_class))
    out.push(`${topic}: binary_sensor device_class ${c.device_class}`);
  if (p === 'sensor' && c.device_class !== undefined && !SENSOR_CLASSES.includes(c.device_class))
    out.push(`${topic}: sensor device_class ${c.device_class}`);
  if (p === 'event' && (!Array.isArray(c.event_types) || c.event_types.length === 0)) out.push(`${topic}: event_types must be a list`);
  if (p === 'image' && 'image_topic' in c === 'url_topic' in c) out.push(`${topic}: exactly one of image_topic and url_topic`);
  if (p === 'image' && c.image_topic && !c.content_type) out.push(`${topic}: image_topic without content_type`);
  if (p === 'device_automation' && c.automation_type !== 'trigger') out.push(`${topic}: automation_type must be trigger`);
  return out;
}

const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
// HA's tojson: JSON of the value.
env.addFilter('tojson', (v: unknown) => JSON.stringify(v));

/** Renders an HA MQTT template as HA does: `value` is the payload text, `value_json` its JSON. */
export function renderTemplate(template: string, payload: string | Buffer): string {
  const value = payload.toString();
  let valueJson: unknown;
  try {
    valueJson = JSON.parse(value);
  } catch {
    valueJson = undefined;
  }
  return env.renderString(template, { value, value_json: valueJson });
}
