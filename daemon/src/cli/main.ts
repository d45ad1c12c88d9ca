#!/usr/bin/env node
/** `gloves` entry point. */
// Each pending appsink pull and bus poll of gstreamer-superficial holds a libuv
// pool thread; the default 4 starves fs and inference. Must precede any pool use.
process.env.UV_THREADPOOL_SIZE ??= '16';

import { commands } from './registry.js';
import { runAsMain } from './runner.js';

runAsMain({ name: 'gloves', description: 'recognise individual pets on a camera and tell the house over MQTT', commands });
