#!/usr/bin/env bash
# One-command setup for a fresh Debian 12 / Ubuntu (JetPack) machine, idempotent:
#   system packages -> npm ci (no onnxruntime CUDA download) -> native addon + TypeScript
#   -> models and fixtures (mirror or pinned URL, sha256-verified) -> demo (unless --no-demo).
# Works as root or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[gloves-setup] %s\n' "$*"; }

RUN_DEMO=1
for a in "$@"; do
  case "$a" in
    --no-demo) RUN_DEMO=0 ;;
    -h|--help) echo "usage: scripts/setup.sh [--no-demo]"; exit 0 ;;
    *) echo "unknown option: $a" >&2; exit 2 ;;
  esac
done

log "1/5 system packages"
./scripts/install-system-deps.sh

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  log "ERROR: Node.js >= 20 is required (found: $(node -v 2>/dev/null || echo none))."
  log "  Install Node 20 LTS, e.g. from NodeSource (https://github.com/nodesource/distributions) or nvm, then re-run."
  exit 1
fi

log "2/5 npm ci (onnxruntime-node's CUDA download skipped; native addon built by the install script)"
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] && [ -f build/Release/gloves_native.node ]; then
  log "node_modules up to date; rebuilding the native addon"
  npm run --silent build:native >/dev/null
else
  npm ci --no-audit --no-fund
fi

log "3/5 TypeScript build"
npm run --silent build

# Data mirror: GLOVES_DATA_MIRROR, else ../shared beside this checkout, else ../shared beside the
# repository this one was cloned from (a CI clone of a local checkout); otherwise pinned URLs.
if [ -z "${GLOVES_DATA_MIRROR:-}" ] && [ -n "${GLOVES_MODEL_MIRROR:-}" ]; then
  GLOVES_DATA_MIRROR="$(cd "$GLOVES_MODEL_MIRROR/.." && pwd)"   # older name: the models/ directory itself
fi
if [ -z "${GLOVES_DATA_MIRROR:-}" ]; then
  if [ -d ../shared ]; then
    GLOVES_DATA_MIRROR="$(cd ../shared && pwd)"
  else
    origin="$(git config --get remote.origin.url 2>/dev/null || true)"
    case "$origin" in
      /*|file://*) origin="${origin#file://}"; [ -d "$origin/../shared" ] && GLOVES_DATA_MIRROR="$(cd "$origin/../shared" && pwd)" ;;
    esac
  fi
fi
[ -n "${GLOVES_DATA_MIRROR:-}" ] && export GLOVES_DATA_MIRROR
log "4/5 models and fixtures (mirror: ${GLOVES_DATA_MIRROR:-none, downloading pinned URLs})"
node dist/daemon/src/cli/main.js models install

log "5/5 native addon report"
node -e "const a=require('./build/Release/gloves_native.node'); console.log('[gloves-setup] native addon:', JSON.stringify(a.info()))"

if [ "$RUN_DEMO" = 1 ]; then
  log "demo"
  npm run --silent demo
fi
log "done"
