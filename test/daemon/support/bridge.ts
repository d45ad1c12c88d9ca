/** Builds an MqttBridge with its parts (durable queue, discovery unit, snapshot store), as the daemon's wiring does. */
import { EventQueue } from '../../../daemon/src/events/event-queue.js';
import type { Outbox } from '../../../daemon/src/events/outbox.js';
import { SnapshotStore } from '../../../daemon/src/events/snapshot-store.js';
import type { Logger } from '../../../daemon/src/log/logger.js';
import { MqttBridge, type BridgeOptions } from '../../../daemon/src/mqtt/bridge.js';
import type { MqttConnection } from '../../../daemon/src/mqtt/connection.js';
import type { DiscoveryContext } from '../../../daemon/src/mqtt/discovery.js';
import { HomeAssistantDiscovery } from '../../../daemon/src/mqtt/ha-discovery.js';

export function bridgeFor(
  conn: MqttConnection,
  outbox: Outbox,
  o: BridgeOptions & { discovery: DiscoveryContext | null; snapshotsDir: string },
  log: Logger,
): MqttBridge {
  const parts = {
    conn,
    queue: new EventQueue(outbox, log),
    discovery: new HomeAssistantDiscovery(conn, o.discovery, log),
    snapshots: new SnapshotStore(o.snapshotsDir),
  };
  return new MqttBridge(parts, { states: o.states, onRemoved: o.onRemoved, cameras: o.cameras, eventMaxAgeMs: o.eventMaxAgeMs }, log);
}
