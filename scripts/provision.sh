#!/usr/bin/env bash
# Provision ("flash") a device: system packages, Node 20, Gloves under --prefix, the
# `gloves` user, /etc/gloves/gloves.yaml from flags, secrets (0600), the hardened unit,
# models (+ TensorRT engines), optional enrolment, then enable and start the service.
# Idempotent; --dry-run prints every change ("change: ...") without making it.
# See README "Operating a device" and "Install on a Jetson".
set -euo pipefail
umask 022
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=provision-lib.sh
. "$HERE/provision-lib.sh"

usage() {
  cat <<'EOF'
usage: sudo scripts/provision.sh [options]
  --device-id ID          device id (topics, Home Assistant); default: the host name
  --camera URI            v4l2:///dev/video0 (default), csi://0, rtsp://..., file://...
  --mqtt-url URL          broker (default mqtt://127.0.0.1:1883)
  --mqtt-user USER        broker user name
  --mqtt-password-file F  read the broker password from file F, or from stdin with "-"
  --http ADDR:PORT        HTTP API listen address (only where this version has an HTTP API)
  --api-token-file F      API token from file F or stdin ("-")
  --enrol DIR             enrol pets from DIR/<pet name>/*.jpg (photos already seen are skipped)
  --mirror DIR            data mirror holding models/ (default GLOVES_DATA_MIRROR, ../shared)
  --prefix DIR            install directory (default /opt/gloves)
  --from-tarball FILE     install from a release tarball instead of this checkout
  --pack FILE             write a release tarball of this checkout to FILE and exit
  --root DIR              install into DIR as the filesystem root (images, tests)
  --skip-packages         do not install system packages or Node
  --no-start              install and enable, but do not start or restart the service
  --dry-run               print every change, make none
  --uninstall             remove Gloves but keep the data (/var/lib/gloves) and the user
  --purge                 remove Gloves, its data, logs and user
Secrets are never taken from the command line. Flags given on an earlier run are kept.
EOF
}

ROOT=/ PREFIX=/opt/gloves DRY=0 MODE=install TARBALL='' PACK='' SKIP_PKGS=0 NO_START=0
ENROL='' MIRROR=${GLOVES_DATA_MIRROR:-} PW_SRC='' TOKEN_SRC=''
declare -A SET=()
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)" 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --device-id | --camera | --mqtt-url | --mqtt-user | --http) need "$@"; SET[${1#--}]=$2; shift 2 ;;
    --mqtt-password-file) need "$@"; PW_SRC=$2; shift 2 ;;
    --api-token-file) need "$@"; TOKEN_SRC=$2; shift 2 ;;
    --mqtt-password | --api-token | --password) die "$1: secrets are not accepted on the command line (they would show in ps); use $1-file FILE or $1-file - for stdin" 2 ;;
    --enrol) need "$@"; ENROL=$(cd "$2" 2>/dev/null && pwd) || die "--enrol: no directory $2" 2; shift 2 ;;
    --mirror) need "$@"; MIRROR=$2; shift 2 ;;
    --prefix) need "$@"; PREFIX=${2%/}; shift 2 ;;
    --from-tarball) need "$@"; TARBALL=$2; shift 2 ;;
    --pack) need "$@"; PACK=$2; shift 2 ;;
    --root) need "$@"; ROOT=$(cd "$2" 2>/dev/null && pwd) || die "--root: no directory $2" 2; shift 2 ;;
    --skip-packages) SKIP_PKGS=1; shift ;;
    --no-start) NO_START=1; shift ;;
    --dry-run) DRY=1; shift ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) MODE=purge; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" 2 ;;
  esac
done
[ "$ROOT" = / ] || ROOT=${ROOT%/}
[ -z "$ROOT" ] && ROOT=/
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path, got $PREFIX" 2 ;; esac
R=${ROOT%/}   # prefix for paths inside the target ("" for /)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

# --- what gets installed from a checkout or tarball ----------------------------------
# rsync filter: the runtime files only (no sources, tests, dev dependencies, or other
# platforms' onnxruntime binaries). Files outside it in the prefix (.models) are kept.
make_filter() {
  local src=$1 arch other p d
  arch=$(uname -m); case "$arch" in aarch64 | arm64) other=x64 ;; *) other=arm64 ;; esac
  {
    printf '%s\n' "- /node_modules/onnxruntime-node/bin/*/darwin/" "- /node_modules/onnxruntime-node/bin/*/win32/" "- /node_modules/onnxruntime-node/bin/*/linux/$other/"
    printf '+ /%s\n' package.json package-lock.json README.md bin/ 'bin/***' dist/ 'dist/***' models/ 'models/***' systemd/ 'systemd/***' \
      build/ build/Release/ build/Release/gloves_native.node node_modules/
    if [ -f "$src/package-lock.json" ] && [ ! -f "$src/.gloves-release" ]; then
      # Production packages per the lock file, each with its parent directories.
      node -e 'const l=require(process.argv[1]);for(const[k,v]of Object.entries(l.packages||{}))if(k&&!v.dev&&!v.link)console.log(k)' "$src/package-lock.json" |
        while IFS= read -r p; do
          d=$p; while [ "$d" != "${d%/*}" ]; do d=${d%/*}; printf '+ /%s/\n' "$d"; done
          printf '+ /%s/\n+ /%s/***\n' "$p" "$p"
        done
    else
      printf '+ /node_modules/***\n+ /.gloves-release\n'
    fi
    printf '%s\n' '- *'
  } | awk '!seen[$0]++'
}

if [ -n "$PACK" ]; then
  for d in dist node_modules build/Release; do [ -e "$HERE/../$d" ] || die "this checkout is not built ($d missing): run scripts/setup.sh --no-demo first"; done
  make_filter "$HERE/.." >"$TMP/filter"
  mkdir "$TMP/gloves"; rsync -a --omit-dir-times --filter="merge $TMP/filter" "$HERE/../" "$TMP/gloves/"
  printf 'built from %s on %s\n' "$(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown)" "$(uname -m)" >"$TMP/gloves/.gloves-release"
  tar -czf "$PACK" -C "$TMP" gloves
  log "wrote $PACK ($(du -h "$PACK" | cut -f1), for $(uname -m))"; exit 0
fi

[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || die "run as root (sudo), or with --dry-run"

# --- platform ------------------------------------------------------------------------
OS_ID='' OS_VER='' JETSON='' L4T=''
osr="$R/etc/os-release"; [ -f "$osr" ] || osr="$R/usr/lib/os-release"
[ -f "$osr" ] || die "cannot identify the OS: no $R/etc/os-release"
OS_ID=$(. "$osr"; echo "${ID:-}"); OS_VER=$(. "$osr"; echo "${VERSION_ID:-}")
if [ -f "$R/etc/nv_tegra_release" ]; then
  JETSON=1; L4T=$(sed -n 's/^# R\([0-9]*\).*/\1/p' "$R/etc/nv_tegra_release" | head -1)
fi
glibc=$(sys_glibc_version || true)
if [ "$L4T" = 32 ] || { [ -n "$glibc" ] && [ "$(printf '%s\n2.28\n' "$glibc" | sort -V | head -1)" != 2.28 ]; }; then
  die "this is JetPack 4 / L4T R32 or glibc ${glibc:-?} (< 2.28): Node.js 20 does not run here, so nothing was installed.
  Options:
   1. Move to a board that runs JetPack 5 or 6 (Xavier NX/AGX, Orin). The Jetson Nano tops out at JetPack 4.6.
   2. Run Gloves on another Linux machine and stream this board's camera to it (rtsp://...).
   3. Unsupported: an unofficial Node 20 build for glibc 2.17 (unofficial-builds.nodejs.org), at your own risk." 3
fi
case "$OS_ID:$OS_VER" in
  debian:12 | ubuntu:22.04 | ubuntu:24.04) ;;
  ubuntu:20.04) [ -n "$JETSON" ] || warn "Ubuntu 20.04 is supported on JetPack 5 only; continuing" ;;
  *) warn "untested OS $OS_ID $OS_VER (supported: Debian 12, Ubuntu 22.04/24.04, JetPack 5/6); continuing" ;;
esac

UNIT=/etc/systemd/system/gloves.service
DROPINS=/etc/systemd/system/gloves.service.d
WANTS=/etc/systemd/system/multi-user.target.wants/gloves.service
STATE=/var/lib/gloves
PROV=/etc/gloves/provision.conf

# --- uninstall / purge -----------------------------------------------------------------
if [ "$MODE" != install ]; then
  if sys_systemd_running && [ -e "$R$UNIT" ]; then
    change "systemctl disable --now gloves"; act sys_systemctl disable --now gloves || warn "could not stop the service"
  fi
  for p in "$WANTS" "$UNIT" "$DROPINS" /etc/sysusers.d/gloves.conf /etc/tmpfiles.d/gloves.conf /etc/logrotate.d/gloves /etc/gloves "$PREFIX"; do remove_path "$p"; done
  if [ "$MODE" = purge ]; then
    remove_path "$STATE"; remove_path /var/log/gloves
    if grep -q '^gloves:' "$R/etc/passwd" 2>/dev/null; then change "delete user gloves"; act sys_userdel gloves; fi
  else
    [ -e "$R$STATE" ] && log "kept the data in $STATE (--purge removes it)"
  fi
  sys_systemd_running && [ "$CHANGES" -gt 0 ] && act sys_systemctl daemon-reload
  log "$([ "$DRY" = 1 ] && echo 'dry run: would make' || echo 'made') $CHANGES changes"; exit 0
fi

# --- settings: earlier runs' flags, then this run's -----------------------------------
declare -A CFG=([device-id]="$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9_\n-' '-' || echo gloves)" [camera]='v4l2:///dev/video0' [mqtt-url]='mqtt://127.0.0.1:1883' [mqtt-user]='' [http]='')
if [ -f "$R$PROV" ]; then
  while IFS='=' read -r k v; do [ -n "$k" ] && [ "${k:0:1}" != '#' ] && CFG[$k]=$v; done <"$R$PROV"
fi
for k in "${!SET[@]}"; do CFG[$k]=${SET[$k]}; done
for k in "${!CFG[@]}"; do case "${CFG[$k]}" in *[[:cntrl:]]*) die "--$k: the value contains a control character" 2 ;; esac; done
[[ ${CFG[device-id]} =~ ^[A-Za-z0-9_-]+$ ]] || die "--device-id: only letters, digits, _ and - are allowed, got '${CFG[device-id]}'" 2
case "${CFG[mqtt-url]}" in mqtt://* | mqtts://* | ws://* | wss://*) ;; *) die "--mqtt-url: use mqtt://, mqtts://, ws:// or wss://, got '${CFG[mqtt-url]}'" 2 ;; esac
case "${CFG[camera]}" in v4l2://* | csi://* | rtsp://* | rtsps://* | file://* | test://*) ;; *) die "--camera: use v4l2:///dev/videoN, csi://N, rtsp://..., file://... or test://..., got '${CFG[camera]}'" 2 ;; esac

command -v node >/dev/null 2>&1 || [ "$DRY" = 0 ] || die "Node.js is not installed: a dry run cannot evaluate the rest (a real run installs it first)"

# --- source: this checkout or a tarball ------------------------------------------------
if [ -n "$TARBALL" ]; then
  [ -f "$TARBALL" ] || die "--from-tarball: no file $TARBALL" 2
  mkdir "$TMP/src"; tar -xzf "$TARBALL" -C "$TMP/src" || die "--from-tarball: $TARBALL is not a gzip tarball" 2
  SRC=$(dirname "$(find "$TMP/src" -maxdepth 2 -name package.json | head -1)")
  [ -f "$SRC/package.json" ] && [ -d "$SRC/dist" ] || die "--from-tarball: $TARBALL holds no built Gloves (package.json, dist/)" 2
  built_for=$(sed -n 's/.* on \([^ ]*\)$/\1/p' "$SRC/.gloves-release" 2>/dev/null)
  [ -z "$built_for" ] || [ "$built_for" = "$(uname -m)" ] || die "--from-tarball: $TARBALL was built for $built_for, this machine is $(uname -m) (native modules differ): pack it on a $(uname -m) machine" 2
else
  SRC=$(cd "$HERE/.." && pwd)
  if [ ! -d "$SRC/dist" ] || [ ! -d "$SRC/node_modules" ] || [ ! -f "$SRC/build/Release/gloves_native.node" ]; then
    change "build this checkout (scripts/setup.sh --no-demo)"; act "$SRC/scripts/setup.sh" --no-demo
  fi
fi
[ -z "$MIRROR" ] && [ -d "$SRC/../shared/models" ] && MIRROR=$(cd "$SRC/../shared" && pwd)

# --- 1. system packages and Node -------------------------------------------------------
PKGS=(ca-certificates curl gnupg rsync logrotate perl-base gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)
[ -n "$JETSON" ] && PKGS+=(nvidia-l4t-gstreamer)
if [ "$SKIP_PKGS" = 0 ]; then
  mapfile -t missing < <(sys_missing_packages "${PKGS[@]}")
  if [ ${#missing[@]} -gt 0 ]; then change "apt-get install ${missing[*]}"; act sys_apt_install "${missing[@]}"; fi
  if [ "$(sys_node_major)" -lt 20 ]; then change "install Node.js 20 (NodeSource)"; act sys_install_node; fi
fi

# --- 2. the package under the prefix ----------------------------------------------------
make_filter "$SRC" >"$TMP/filter"
rs=(rsync -a --omit-dir-times --delete --filter="merge $TMP/filter" --chown=0:0 --chmod=u+rwX,go+rX,go-w --itemize-changes "$SRC/" "$R$PREFIX/")
if [ -d "$R$PREFIX" ]; then n=$("${rs[@]}" --dry-run | wc -l); else n=$(rsync -a --omit-dir-times --filter="merge $TMP/filter" --dry-run --itemize-changes "$SRC/" "$TMP/empty/" | wc -l); fi
if [ "$n" -gt 0 ]; then change "sync $PREFIX from ${TARBALL:-$SRC} ($n entries)"; [ "$DRY" = 1 ] || { mkdir -p "$R$PREFIX"; "${rs[@]}" >/dev/null; }; fi
PKG=$SRC; [ "$DRY" = 1 ] || PKG=$R$PREFIX
GLOVES_SRC="$PKG/dist/daemon/src/cli/main.js"
# gloves with a clean environment (no operator GLOVES_* leaking in, nothing secret passed),
# the config's paths mapped into --root (GLOVES_* variables override the config file).
gl() {
  env -i PATH="$PATH" HOME=/ UV_THREADPOOL_SIZE=16 GLOVES_LOG_LEVEL=warn ${MIRROR:+GLOVES_DATA_MIRROR="$MIRROR"} \
    GLOVES_MODELS__MANIFEST_DIR="$PKG/models" GLOVES_MODELS__DIR="$R$PREFIX/.models" GLOVES_MATCHING__STATS_DIR="$PKG/models/stats" \
    GLOVES_INFERENCE__ENGINE_CACHE_DIR="$R$STATE/engines" GLOVES_INFERENCE__CALIBRATION_DIR="$R$STATE/calibration" node "$GLOVES_SRC" "$@"
}

# --- 3. unit, user, directories --------------------------------------------------------
sed "s#/opt/gloves#$PREFIX#g" "$SRC/systemd/gloves.service" >"$TMP/unit"
install_file "$TMP/unit" "$UNIT" 0644 root root
install_file "$SRC/systemd/sysusers.d/gloves.conf" /etc/sysusers.d/gloves.conf 0644 root root
install_file "$SRC/systemd/tmpfiles.d/gloves.conf" /etc/tmpfiles.d/gloves.conf 0644 root root
install_file "$SRC/systemd/logrotate.d/gloves" /etc/logrotate.d/gloves 0644 root root
user_ok=1
grep -q '^gloves:' "$R/etc/passwd" 2>/dev/null || user_ok=0
for g in video render; do grep -Eq "^$g:[^:]*:[^:]*:(.*,)?gloves(,|$)" "$R/etc/group" 2>/dev/null || user_ok=0; done
if [ "$user_ok" = 0 ]; then change "create user gloves (groups video, render)"; act sys_sysusers "$R/etc/sysusers.d/gloves.conf"; fi
while read -r t path mode user group _; do
  [ "$t" = d ] && ensure_dir "$path" "$mode" "$user" "$group"
done < <(grep -v '^#' "$SRC/systemd/tmpfiles.d/gloves.conf")

# --- 4. config and secrets --------------------------------------------------------------
if [ -n "${CFG[http]}" ] || [ -n "$TOKEN_SRC" ]; then
  keys=$(gl config keys)
  [[ $'\n'$keys == *$'\n'http.listen\ * && $'\n'$keys == *$'\n'http.token\ * ]] ||
    die "--http/--api-token-file: this Gloves version has no HTTP API (no http.* config keys); drop them" 2
fi
{
  echo "# Written by scripts/provision.sh from its flags; a re-run rewrites it (edit the flags, not this file)."
  echo "# Secrets (mqtt.password, the API token) are in /etc/gloves/secrets.env, loaded by the unit."
  echo "device:"; echo "  id: $(json_str "${CFG[device-id]}" --device-id)"; echo "  stateDir: \"$STATE/state\""
  echo "camera:"; echo "  uri: $(json_str "${CFG[camera]}" --camera)"
  echo "models:"; echo "  manifestDir: \"$PREFIX/models\""; echo "  dir: \"$PREFIX/.models\""
  echo "inference:"; echo "  engineCacheDir: \"$STATE/engines\""; echo "  calibrationDir: \"$STATE/calibration\""
  echo "matching:"; echo "  statsDir: \"$PREFIX/models/stats\""
  echo "gallery:"; echo "  dir: \"$STATE/gallery\""
  echo "mqtt:"; echo "  url: $(json_str "${CFG[mqtt-url]}" --mqtt-url)"
  [ -n "${CFG[mqtt-user]}" ] && echo "  username: $(json_str "${CFG[mqtt-user]}" --mqtt-user)"
  [ -n "${CFG[http]}" ] && { echo "http:"; echo "  listen: $(json_str "${CFG[http]}" --http)"; }
} >"$TMP/gloves.yaml"
rc=0; gl config check --config "$TMP/gloves.yaml" >/dev/null 2>"$TMP/check.err" || rc=$?
[ "$rc" = 0 ] || { grep -q 'CONFIG_INVALID' "$TMP/check.err" && die "the generated config is invalid: $(cat "$TMP/check.err")" 2; die "cannot run gloves from $(dirname "$GLOVES_SRC"): $(tail -5 "$TMP/check.err")"; }
install_file "$TMP/gloves.yaml" /etc/gloves/gloves.yaml 0640 root gloves
for k in device-id camera mqtt-url mqtt-user http; do printf '%s=%s\n' "$k" "${CFG[$k]}"; done >"$TMP/provision.conf"
install_file "$TMP/provision.conf" "$PROV" 0600 root root
# secrets.env: new secrets replace their line; other lines are kept as they were.
( umask 077
  [ -f "$R/etc/gloves/secrets.env" ] && grep -v -e '^GLOVES_MQTT__PASSWORD=' -e '^GLOVES_HTTP__TOKEN=' "$R/etc/gloves/secrets.env" >"$TMP/secrets" || : >"$TMP/secrets"
  if [ -n "$PW_SRC" ]; then pw=$(read_secret "$PW_SRC"); env_line GLOVES_MQTT__PASSWORD "$pw" >>"$TMP/secrets"
  elif [ -f "$R/etc/gloves/secrets.env" ]; then grep '^GLOVES_MQTT__PASSWORD=' "$R/etc/gloves/secrets.env" >>"$TMP/secrets" || true; fi
  if [ -n "$TOKEN_SRC" ]; then tok=$(read_secret "$TOKEN_SRC"); env_line GLOVES_HTTP__TOKEN "$tok" >>"$TMP/secrets"
  elif [ -f "$R/etc/gloves/secrets.env" ]; then grep '^GLOVES_HTTP__TOKEN=' "$R/etc/gloves/secrets.env" >>"$TMP/secrets" || true; fi )
if [ -s "$TMP/secrets" ] || [ -f "$R/etc/gloves/secrets.env" ]; then install_file "$TMP/secrets" /etc/gloves/secrets.env 0600 gloves gloves; fi

# --- 5. unit drop-ins: broker outside the LAN, CSI camera -------------------------------
host=$(url_host "${CFG[mqtt-url]}")
addrs=$host; is_ip "$host" || [ "$host" = localhost ] || addrs=$(getent ahosts "$host" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ')
outside=''; for a in $addrs; do is_lan_ip "$a" || outside+="$a "; done
if [ "$host" = localhost ] || { [ -n "$addrs" ] && [ -z "$outside" ]; }; then remove_path "$DROPINS/10-broker.conf"
else
  if is_ip "$host"; then printf '# Written by provision.sh: the broker %s is outside the LAN ranges the unit allows.\n[Service]\nIPAddressAllow=%s\n' "$host" "$host"
  else printf '# Written by provision.sh: the broker %s resolves outside the LAN ranges (or not at all here),\n# and its addresses may change: no IP filtering.\n[Service]\nIPAddressDeny=\n' "$host"; fi >"$TMP/broker.conf"
  install_file "$TMP/broker.conf" "$DROPINS/10-broker.conf" 0644 root root
fi
if [[ ${CFG[camera]} == csi://* ]]; then
  printf '# Written by provision.sh: nvarguscamerasrc talks to nvargus-daemon over /tmp/argus_socket,\n# which a private /tmp hides.\n[Unit]\nWants=nvargus-daemon.service\n[Service]\nPrivateTmp=no\n' >"$TMP/csi.conf"
  install_file "$TMP/csi.conf" "$DROPINS/20-csi.conf" 0644 root root
else remove_path "$DROPINS/20-csi.conf"; fi
[ -d "$R$DROPINS" ] && [ -z "$(ls -A "$R$DROPINS")" ] && { [ "$DRY" = 1 ] || rmdir "$R$DROPINS"; }

# --- 6. models, TensorRT engines, enrolment ---------------------------------------------
stale=$(node -e 'const fs=require("fs"),c=require("crypto"),[dir,dest]=process.argv.slice(1);for(const f of fs.readdirSync(dir).filter(f=>f.endsWith(".json")&&f!=="fixtures.json")){const m=JSON.parse(fs.readFileSync(dir+"/"+f));const ok=[m.sha256,m.source?.derivedFrom?.resultSha256];let h="";try{h=c.createHash("sha256").update(fs.readFileSync(dest+"/"+m.file)).digest("hex")}catch{}if(!ok.includes(h))console.log(m.file)}' "$SRC/models" "$R$PREFIX/.models" | tr '\n' ' ')
if [ -n "$stale" ]; then change "install models: $stale"; act gl models install --dir "$R$PREFIX/.models" --no-fixtures >/dev/null; fi
models_help=$(gl models --help 2>/dev/null || true)
if [[ $models_help == *build-engines* ]] && [ "$(node -e 'try{console.log(require(process.argv[1]).info().hasTensorRT?1:0)}catch{console.log(0)}' "$SRC/build/Release/gloves_native.node")" = 1 ]; then
  log "TensorRT: building engines for this device (cached ones are reused)"; act gl models build-engines --config "$R/etc/gloves/gloves.yaml" || warn "engine build failed: the first start builds them"
  act chown -R "$(uid_of gloves):$(gid_of gloves)" "$R$STATE/engines"
fi
if [ -n "$ENROL" ]; then
  seen="$R$STATE/.provision-enrolled"
  for petdir in "$ENROL"/*/; do
    name=$(basename "$petdir"); new=()
    for f in "$petdir"*; do
      case "${f,,}" in *.jpg | *.jpeg | *.png) grep -qxF "$f" "$seen" 2>/dev/null || new+=("$f") ;; esac
    done
    [ ${#new[@]} -eq 0 ] && continue
    change "enrol $name (${#new[@]} photos)"
    [ "$DRY" = 1 ] && continue
    rc=0; gl enroll --gallery "$R$STATE/gallery" --name "$name" "${new[@]}" >"$TMP/enrol.out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || warn "enrol $name: some photos were rejected (exit $rc): $(grep -i reject "$TMP/enrol.out" | head -3)"
    printf '%s\n' "${new[@]}" >>"$seen"
  done
  [ "$DRY" = 1 ] || chown -R "$(uid_of gloves):$(gid_of gloves)" "$R$STATE/gallery" "$seen" 2>/dev/null || true
fi

# --- 7. enable and start ----------------------------------------------------------------
if sys_systemd_running; then
  [ "$CHANGES" -gt 0 ] && act sys_systemctl daemon-reload
  sys_systemctl is-enabled --quiet gloves 2>/dev/null || { change "systemctl enable gloves"; act sys_systemctl enable gloves; }
  if [ "$NO_START" = 1 ]; then log "not started (--no-start): systemctl start gloves"
  elif ! sys_systemctl is-active --quiet gloves 2>/dev/null; then change "systemctl start gloves"; act sys_systemctl start gloves
  elif [ "$CHANGES" -gt 0 ]; then change "systemctl restart gloves"; act sys_systemctl restart gloves; fi
else
  if [ ! -L "$R$WANTS" ]; then change "enable gloves (link $WANTS)"; [ "$DRY" = 1 ] || { mkdir -p "$(dirname "$R$WANTS")"; ln -s "$UNIT" "$R$WANTS"; }; fi
  log "systemd is not running here$([ "$ROOT" = / ] || echo " (--root $ROOT)"): the service is installed and enabled but not started."
  log "  It starts at the next boot with systemd. To run it now without systemd:"
  log "  setpriv --reuid gloves --regid gloves --init-groups sh -c 'set -a; [ -r /etc/gloves/secrets.env ] && . /etc/gloves/secrets.env; exec $PREFIX/bin/gloves run --config /etc/gloves/gloves.yaml >>/var/log/gloves/gloves.log 2>&1' &"
fi
log "$([ "$DRY" = 1 ] && echo 'dry run: would make' || echo 'made') $CHANGES changes"
[ "$DRY" = 1 ] || log "check the device with: sudo -u gloves $PREFIX/bin/gloves doctor --config /etc/gloves/gloves.yaml"
