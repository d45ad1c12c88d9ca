#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Gloves needs. Idempotent: packages already
# present are skipped, so a second run makes no apt calls at all.
set -euo pipefail

log() { printf '[gloves-setup] %s\n' "$*"; }

PKGS=(
  build-essential python3 pkg-config ca-certificates curl openssl
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-plugins-ugly
  mosquitto mosquitto-clients
  python3-gi gir1.2-gst-rtsp-server-1.0
  chromium
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  log "system packages: all ${#PKGS[@]} present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "ERROR: need root or sudo to install: ${missing[*]}"; exit 1
  fi
fi

log "installing: ${missing[*]}"
# sudo resets the environment: pass the non-interactive frontend explicitly.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package enables a system broker; Gloves tests start their own, so
# leave the system one as the distribution configured it.
log "system packages installed"
