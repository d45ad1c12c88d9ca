#!/usr/bin/env node
/**
 * `gloves` entry point. Start it through bin/gloves (the package's bin), which sets
 * UV_THREADPOOL_SIZE before node starts: libuv sizes its pool before any JavaScript
 * runs, so setting it here would have no effect (the camera module warns when it is low).
 */
import { commands } from './registry.js';
import { runAsMain } from './runner.js';

runAsMain({ name: 'gloves', description: 'recognise individual pets on a camera and tell the house over MQTT', commands });
