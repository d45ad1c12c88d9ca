/**
 * Builds every object of `gloves run` up front (no constructor does I/O) and
 * the ordered components that start them: camera, recognition, tracking,
 * presence + outbox, MQTT, the HTTP API. Components are thin start/stop adapters over the
 * parts; the Daemon (./daemon.ts) runs the lifecycle and the frame loop.
 */
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { cameraList } from '../camera/config.js';
import type { GlovesConfig } from '../config/schema.js';
import { EventQueue } from '../events/event-queue.js';
import { Outbox } from '../events/outbox.js';
import { SnapshotStore } from '../events/snapshot-store.js';
import type { Logger } from '../log/logger.js';
import { HttpServer } from '../http/server.js';
import { MqttBridge } from '../mqtt/bridge.js';
import { MqttConnection } from '../mqtt/connection.js';
import { HomeAssistantDiscovery } from '../mqtt/ha-discovery.js';
import { Presence } from '../presence/presence.js';
import { PetStateStore, storedStates, type StoredPets } from '../presence/store.js';
import { VisitorStore } from '../presence/visitor-store.js';
import { applyTransform } from '../recognition/index.js';
import type { SystemdNotifier } from '../systemd/notify.js';
import { packageRoot } from '../util/paths.js';
import { prepareStateDir } from './state-dir.js';
import { buildCameras, type CameraEvents, type Cameras } from './cameras.js';
import { ModelStore } from '../models/store.js';
import type { Component } from './components.js';
import { GallerySync } from './gallery-sync.js';
import { HttpGallery, HttpRecognition, HttpVisitors } from './http-gallery.js';
import { DaemonHealth, DaemonMetrics } from './http-services.js';
import { LiveFeed } from './live.js';
import { ModelManager } from './model-manager.js';
import { HttpModels, modelNotices } from './model-ports.js';
import { RuntimeMetrics } from './metrics.js';
import { Outputs } from './outputs.js';
import { RecognitionService } from './recognition-service.js';
import { StatsPublisher } from './stats-publisher.js';
import { VisitorRecorder } from './visitor-recorder.js';

export interface WiringOptions {
  /** Camera options not in the config file (benchmarks: realtime false). */
  cameraOverrides?: { realtime?: boolean };
  notifier: SystemdNotifier;
  /** Camera availability changes, for the daemon's logging and presence policy. */
  cameraEvents: CameraEvents;
}

export interface DaemonParts {
  /** One pipeline per camera (source, health, motion gate, tracker, processor); all share `recognition`. */
  readonly cameras: Cameras;
  readonly recognition: RecognitionService;
  readonly presence: Presence;
  readonly outbox: Outbox;
  readonly bridge: MqttBridge;
  readonly outputs: Outputs;
  readonly visitors: VisitorRecorder;
  /** The event queue (its depth feeds the summary). */
  readonly queue: EventQueue;
  readonly metrics: RuntimeMetrics;
  /** The hub's fps, outbox depth and model version (retained stats topic). */
  readonly stats: StatsPublisher;
  readonly live: LiveFeed;
  readonly gallerySync: GallerySync;
  readonly http: HttpServer;
  /** In start order. */
  readonly components: readonly Component[];
}

export function wireDaemon(c: GlovesConfig, log: Logger, o: WiringOptions): DaemonParts {
  const stateDir = resolvePath(c.device.stateDir);
  const snapshotsDir = join(stateDir, 'snapshots');
  const { visitors: visitorsConfig } = c.tracking;
  const visitors = new VisitorRecorder(new VisitorStore(c.gallery.dir, log.child('visitors')), visitorsConfig, log.child('visitors'));
  // Frequent visitors are background for the matcher (presence -> recognition through recognition's port).
  const background = visitorsConfig.enabled
    ? { source: visitors, weight: visitorsConfig.backgroundWeight, guard: visitorsConfig.backgroundGuard }
    : undefined;
  const recognition = new RecognitionService(c, log.child('recognition'), o.notifier, background);
  const cameras = buildCameras(c, recognition, log, o.cameraEvents, o.cameraOverrides);
  const store = new PetStateStore(stateDir, log.child('state'));
  const outbox = new Outbox(stateDir, log.child('outbox'));
  const presence = new Presence({
    awayAfterMs: c.tracking.awayAfterSeconds * 1000,
    unknownCooldownMs: c.tracking.unknownCooldownSeconds * 1000,
  });
  /** States on disk of pets no longer enrolled: kept until their retained topics are cleared. Filled at start. */
  const leftovers: StoredPets = {};
  const conn = new MqttConnection(c.mqtt, c.device.id, log.child('mqtt'), c.log.summarySeconds * 1000);
  const discovery = c.mqtt.discovery
    ? {
        ...conn.topics,
        deviceName: c.device.name,
        swVersion: version(),
        configurationUrl: undefined,
        supportUrl: packageInfo().supportUrl,
        presenceDeviceClass: c.mqtt.homeAssistant.presenceDeviceClass,
        cameras: cameraList(c.camera, c.cameras).map((cam) => ({ id: cam.id, name: cam.name })),
      }
    : null;
  const snapshots = new SnapshotStore(snapshotsDir);
  const queue = new EventQueue(outbox, log.child('outbox'));
  const bridge = new MqttBridge(
    { conn, queue, discovery: new HomeAssistantDiscovery(conn, discovery, log.child('mqtt')), snapshots },
    {
      states: () => presence.states(),
      onRemoved: (id) => outputs.forget(id),
      cameras: () => cameras.statuses(),
      eventMaxAgeMs: c.mqtt.homeAssistant.eventMaxAgeSeconds * 1000,
    },
    log.child('mqtt'),
  );
  const live = new LiveFeed(
    log.child('http'),
    cameras.list.map((cam) => cam.id),
  );
  const outputs = new Outputs(
    { presence, bridge, store, snapshots, leftovers, onEvent: (e) => live.publish(e) },
    {
      stateRefreshMs: c.tracking.stateRefreshSeconds * 1000,
      snapshotIntervalMs: c.tracking.snapshotIntervalSeconds * 1000,
    },
    log.child('presence'),
  );
  const metrics = new RuntimeMetrics();
  const stats = new StatsPublisher(
    {
      publish: (s) => bridge.publishStats(s),
      outbox: () => queue.pending,
      model: () => (recognition.started ? `${c.models.detector} + ${recognition.embedder.modelId}` : c.models.detector),
    },
    c.mqtt.homeAssistant.statsSeconds * 1000,
  );
  const modelLog = log.child('models');
  const models = new ModelManager(
    {
      recognition,
      store: new ModelStore(join(stateDir, 'models')),
      notices: modelNotices(conn, modelLog),
      framesDone: () => Object.values(metrics.snapshot().frames).reduce((a, b) => a + b, 0),
      cameraDelivering: () => !cameras.allDown(),
      reembedVisitors: (embedder) => visitors.reembed(embedder, (e) => applyTransform(e, recognition.stats)),
      minScore: c.detection.minScore,
    },
    c.models,
    modelLog,
  );
  const gallerySync = new GallerySync({ recognition, presence, bridge, outputs }, log.child('gallery'));
  const pets = new HttpGallery({ recognition, presence, sync: gallerySync, cropMargin: c.detection.cropMargin, log: log.child('gallery') });
  const http = new HttpServer(
    c.http,
    {
      health: new DaemonHealth({ cameras, recognition, metrics, mqttConnected: () => conn.connected, stateDir }),
      metrics: new DaemonMetrics({ metrics, recognition, visitors, outboxDepth: () => queue.pending, version: version() }),
      recognition: new HttpRecognition(recognition),
      pets,
      visitors: new HttpVisitors(visitors, pets),
      live,
      version: version(),
      webRoot: join(packageRoot(), 'dist', 'web'),
      models: new HttpModels(models),
    },
    log.child('http'),
  );

  const components: Component[] = [
    // First, before any model loads: a crash during a version's probation rolls back here, then the active version is chosen.
    { name: 'model-versions', start: async () => models.boot(), stop: async () => models.stop() },
    { name: 'camera', start: () => cameras.start(), stop: () => cameras.stop() },
    { name: 'recognition', start: () => recognition.start(), stop: () => recognition.stop() },
    { name: 'tracking', start: async () => {}, stop: async () => {} },
    {
      name: 'presence',
      start: async () => {
        // A file in the way or a read-only filesystem is fatal with its own code; a full one is not.
        if (prepareStateDir(stateDir).full)
          log.error(`device.stateDir ${stateDir} is full: events wait in memory until there is room, pet states are not saved`, {
            code: 'DISK_FULL',
          });
        const saved = store.load();
        const pets = recognition.gallery.pets().map((p) => ({ petId: p.id, name: p.name }));
        const enrolled = new Set(pets.map((p) => p.petId));
        for (const [id, s] of Object.entries(saved)) if (!enrolled.has(id)) leftovers[id] = s;
        presence.restore(pets, storedStates(saved), performance.now());
        if (cameras.allDown()) presence.blind(performance.now());
        visitors.start(recognition.embedder.modelId, (e) => applyTransform(e, recognition.stats));
        outbox.open();
      },
      stop: async () => {
        outputs.persist();
        visitors.save();
        outbox.close();
      },
    },
    {
      name: 'mqtt',
      start: async () => {
        bridge.setPets(presence.pets(), Object.keys(leftovers));
        outputs.persist();
        await bridge.start();
      },
      stop: () => bridge.stop(),
      interrupt: () => bridge.interrupt(),
    },
    { name: 'model-notices', start: async () => models.start(), stop: async () => {} },
    { name: 'gallery-sync', start: async () => gallerySync.start(), stop: async () => gallerySync.stop() },
    { name: 'http', start: () => http.start(), stop: () => http.stop() },
  ];
  return {
    cameras,
    queue,
    recognition,
    presence,
    outbox,
    bridge,
    outputs,
    visitors,
    metrics,
    stats,
    live,
    gallerySync,
    http,
    components,
  };
}

interface PackageInfo {
  version: string;
  /** Where users get help: package.json's homepage, else its repository URL. */
  supportUrl: string | undefined;
}

let cachedPackage: PackageInfo | undefined;
function packageInfo(): PackageInfo {
  if (cachedPackage) return cachedPackage;
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version: string;
      homepage?: string;
      repository?: string | { url?: string };
    };
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    cachedPackage = { version: pkg.version, supportUrl: pkg.homepage ?? repo?.replace(/^git\+/, '').replace(/\.git$/, '') };
  } catch {
    cachedPackage = { version: '0.0.0', supportUrl: undefined };
  }
  return cachedPackage;
}

function version(): string {
  return packageInfo().version;
}
