# shellcheck shell=bash
# Helpers for scripts/provision.sh (sourced, not run). Every change to the target goes
# through change() + a guarded action, so that --dry-run prints exactly the lines a real
# run prints ("change: ...") and a second real run prints none.

log() { printf '[provision] %s\n' "$*"; }
warn() { printf '[provision] WARNING: %s\n' "$*" >&2; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit "${2:-1}"; }
CHANGES=0
change() { CHANGES=$((CHANGES + 1)); printf 'change: %s\n' "$*"; }
# Run "$@" unless this is a dry run.
act() { if [ "$DRY" = 0 ]; then "$@"; fi; }

# ============================================================================
# SYSTEM SEAM. Everything that talks to the running system (systemd, apt, the
# Node installer, the host's C library) is one of these functions and nothing
# else calls those tools. Tests replace them by pointing GLOVES_PROVISION_SEAM
# at a file that redefines them (it is sourced after these defaults).
# ============================================================================
sys_systemd_running() { [ "$ROOT" = / ] && [ -d /run/systemd/system ]; }
sys_systemctl() { systemctl "$@"; }
# Prints the packages of "$@" that are not installed.
sys_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}
sys_apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
sys_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# Node 20 from NodeSource's apt repository (the distributions' nodejs is older than 20).
sys_install_node() {
  local keyring=/etc/apt/keyrings/nodesource.gpg
  mkdir -p /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o "$keyring"
  echo "deb [signed-by=$keyring] https://deb.nodesource.com/node_20.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs
}
sys_glibc_version() { getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}'; }
# Creates the user and groups of a sysusers.d file in $ROOT.
sys_sysusers() {
  if command -v systemd-sysusers >/dev/null 2>&1; then systemd-sysusers --root "$ROOT" "$1"
  else useradd --root "$ROOT" --system --user-group --home-dir /var/lib/gloves --shell /usr/sbin/nologin -G video gloves; fi
}
sys_userdel() {
  userdel --root "$ROOT" "$1"
  if grep -q "^$1:" "$ROOT/etc/group"; then groupdel --root "$ROOT" "$1"; fi
}
if [ -n "${GLOVES_PROVISION_SEAM:-}" ]; then
  # shellcheck source=/dev/null
  . "$GLOVES_PROVISION_SEAM"
fi
# ============================================================================

uid_of() { [ "$1" = root ] && { echo 0; return; }; awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/passwd" 2>/dev/null || true; }
gid_of() { [ "$1" = root ] && { echo 0; return; }; awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/group" 2>/dev/null || true; }

# install_file SRC PATH MODE USER GROUP: PATH (inside $ROOT) gets SRC's bytes, the mode and owner.
install_file() {
  local src=$1 rel=$2 mode=$3 user=$4 group=$5 dest="$ROOT$2" uid gid what=()
  uid=$(uid_of "$user"); gid=$(gid_of "$group")
  if [ ! -e "$dest" ]; then
    change "create $rel ($mode $user:$group)"
  else
    cmp -s "$src" "$dest" || what+=(content)
    [ "$(stat -c %a "$dest")" = "${mode#0}" ] || what+=(mode)
    [ "$(stat -c %u:%g "$dest")" = "$uid:$gid" ] || what+=(owner)
    [ ${#what[@]} -eq 0 ] && return 0
    change "update $rel (${what[*]})"
  fi
  [ "$DRY" = 1 ] && return 0
  mkdir -p "$(dirname "$dest")"
  install -m "$mode" -o "$uid" -g "$gid" "$src" "$dest"
}

# ensure_dir PATH MODE USER GROUP
ensure_dir() {
  local rel=$1 mode=$2 user=$3 group=$4 dest="$ROOT$1" uid gid
  uid=$(uid_of "$user"); gid=$(gid_of "$group")
  if [ ! -d "$dest" ]; then
    change "create directory $rel ($mode $user:$group)"
  elif [ "$(stat -c %a:%u:%g "$dest")" != "${mode#0}:$uid:$gid" ]; then
    change "fix directory $rel ($mode $user:$group)"
  else
    return 0
  fi
  [ "$DRY" = 1 ] && return 0
  mkdir -p "$dest"; chmod "$mode" "$dest"; chown "$uid:$gid" "$dest"
}

# remove_path PATH: delete a file, link or directory tree inside $ROOT.
remove_path() {
  [ -e "$ROOT$1" ] || [ -L "$ROOT$1" ] || return 0
  change "remove $1"
  act rm -rf -- "$ROOT$1"
}

# json_str VALUE: a JSON (hence YAML) string literal (values are checked for control characters first).
json_str() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# env_line NAME VALUE: NAME="VALUE" as systemd's EnvironmentFile= and sh both read it
# (inside double quotes \ escapes " \ $ and `). printf is a builtin: no argv anywhere.
env_line() {
  local v=$2
  case "$v" in *$'\n'* | *$'\r'*) die "the secret for $1 contains a newline" 2 ;; esac
  v=${v//\\/\\\\}; v=${v//\"/\\\"}; v=${v//\$/\\\$}; v=${v//\`/\\\`}
  printf '%s="%s"\n' "$1" "$v"
}

# read_secret SOURCE: the first line of a file, or of stdin for "-" (never from argv).
read_secret() {
  local line=''
  if [ "$1" = - ]; then IFS= read -r line || [ -n "$line" ] || die "no secret on stdin" 2
  else [ -r "$1" ] || die "cannot read secret file $1" 2; IFS= read -r line <"$1" || [ -n "$line" ] || die "secret file $1 is empty" 2; fi
  [ -n "$line" ] || die "empty secret from ${1/#-/stdin}" 2
  printf '%s' "$line"
}

# The broker's host from a URL (IPv6 literals without brackets).
url_host() { local h=${1#*://}; h=${h%%/*}; h=${h##*@}; case "$h" in \[*) h=${h#\[}; h=${h%%]*} ;; *) h=${h%%:*} ;; esac; printf '%s' "$h"; }
# Loopback, link-local or private: already allowed by the unit's IPAddressAllow=.
is_lan_ip() {
  case "$1" in
    127.* | 10.* | 192.168.* | 169.254.* | ::1 | fc* | fd* | fe80:*) return 0 ;;
    172.*) local o=${1#172.}; o=${o%%.*}; [ "$o" -ge 16 ] && [ "$o" -le 31 ] ;;
    *) return 1 ;;
  esac
}
is_ip() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $1 == *:* ]]; }
