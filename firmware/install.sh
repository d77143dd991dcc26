#!/usr/bin/env bash
# Install callerid onto Raspberry Pi OS or Debian 12 / 13 (Pi 3, 4, 5, Zero 2 W), or into a target root.
#
#   sudo firmware/install.sh                 # this machine: packages, venv, config, units, udev, user; start it
#   sudo firmware/install.sh --root DIR      # into a Debian tree (image build, tests); nothing is started
#
# Idempotent: a second run changes nothing (files are rewritten only when their content differs; the
# venv is rebuilt only when the source changed). Prints the web address and the one-time setup code.
# Layout: /opt/callerid/venv (the package), /etc/callerid/config.toml (yours: never overwritten),
# /var/lib/callerid (calls.db), units in /etc/systemd/system, rules in /etc/udev/rules.d.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: install.sh [--root DIR] [--no-apt] [--no-venv] [--no-start] [--timezone ZONE] [--quiet]
  --root DIR   install into the Debian tree at DIR instead of / (also: DESTDIR=DIR). Commands that
               must run inside the target (apt, the venv) run through chroot when DIR has Python;
               in a bare tree they are skipped with a note.
  --no-apt     do not install Debian packages (they must be there already, or you test the rest)
  --no-venv    do not build /opt/callerid/venv
  --no-start   do not (re)start the service (implied with --root)
  --timezone ZONE  the household's time zone (e.g. Asia/Tokyo). Without it, a system still on UTC
               gets its region's zone (config.toml `region`, JP -> Asia/Tokyo) when the region has
               only one; a zone the owner chose is kept.
EOF
}

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${DESTDIR:-/}
APT=1 VENV=1 START=1 QUIET=0 TIMEZONE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --root=*) ROOT=${1#--root=}; shift ;;
    --no-apt) APT=0; shift ;;
    --no-venv) VENV=0; shift ;;
    --no-start) START=0; shift ;;
    --timezone) TIMEZONE=${2:?--timezone needs a zone}; shift 2 ;;
    --timezone=*) TIMEZONE=${1#--timezone=}; shift ;;
    --quiet) QUIET=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo $0)" >&2; exit 1; }
[ -d "$ROOT" ] || { echo "install.sh: target root $ROOT does not exist" >&2; exit 1; }
ROOT=$(cd "$ROOT" && pwd)
[ "$ROOT" = / ] || START=0
T=${ROOT%/}  # prefix for target paths: "" for /, "/x/y" for --root /x/y

PREFIX=/opt/callerid
VENV_DIR=$PREFIX/venv
USER_NAME=callerid
GROUPS_WANTED=(dialout gpio audio)
CHANGED=0

say() { [ "$QUIET" = 1 ] || echo "install.sh: $*"; }

# Run a command inside the target: directly for /, through chroot for another root. In a chroot the
# build machine's environment stays outside (its CA-bundle or pip settings name files that the
# target does not have), except proxy settings.
in_target() {
  if [ -z "$T" ]; then "$@"; return; fi
  local keep=() var
  for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -z "${!var:-}" ] || keep+=("$var=${!var}")
  done
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    "${keep[@]}" "$@"
}
target_has_python() { [ -x "$T/usr/bin/python3" ]; }
# A Raspberry Pi userland (arm64 or armhf), where the LED panel needs lgpio.
is_pi_arch() { case $(in_target dpkg --print-architecture 2>/dev/null) in arm64|armhf) return 0 ;; *) return 1 ;; esac; }

# put SOURCE DEST MODE: install a file only when missing or different, so re-runs leave mtimes alone.
put() {
  local src=$1 dest=$T$2 mode=$3
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    [ "$(stat -c %a "$dest")" = "${mode#0}" ] || { chmod "$mode" "$dest"; CHANGED=1; }
    return 0
  fi
  install -D -m "$mode" "$src" "$dest"
  say "installed $2"
  CHANGED=1
}

ensure_dir() {  # ensure_dir PATH MODE [OWNER:GROUP]
  local dir=$T$1
  if [ ! -d "$dir" ]; then install -d -m "$2" "$dir"; CHANGED=1; fi
  [ "$(stat -c %a "$dir")" = "${2#0}" ] || chmod "$2" "$dir"
  if [ -n "${3:-}" ] && [ "$(stat -c %u:%g "$dir")" != "$(id_in_target "$3")" ]; then
    chown "$(id_in_target "$3")" "$dir"
    CHANGED=1
  fi
}

# numeric uid:gid of USER:GROUP from the target's own files (chown on the host would use the host's ids).
id_in_target() {
  local user=${1%%:*} group=${1##*:}
  echo "$(awk -F: -v u="$user" '$1==u{print $3}' "$T/etc/passwd"):$(awk -F: -v g="$group" '$1==g{print $3}' "$T/etc/group")"
}

# --- 1. Debian packages -------------------------------------------------------------------------
install_packages() {
  [ "$APT" = 1 ] || { say "skipping Debian packages (--no-apt)"; return 0; }
  if [ -z "$T" ]; then
    "$SRC/scripts/apt-install.sh" "$SRC/firmware/runtime-packages.txt"
    # NTP for the call log's times: systemd-timesyncd, unless another NTP client is installed.
    if ! dpkg-query -W -f='${Status}\n' systemd-timesyncd chrony ntpsec ntp openntpd 2>/dev/null \
         | grep -q "install ok installed"; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-timesyncd
    fi
    # Raspberry Pi OS packages lgpio (gpiozero's pin factory on the Pi); plain Debian does not.
    if apt-cache show python3-lgpio >/dev/null 2>&1; then
      dpkg-query -W -f='${Status}' python3-lgpio 2>/dev/null | grep -q "install ok installed" ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-lgpio
    elif is_pi_arch; then
      "$SRC/scripts/apt-install.sh" "$SRC/firmware/gpio-build-packages.txt"  # to build lgpio with pip
    fi
  elif target_has_python || [ -x "$T/usr/bin/apt-get" ]; then
    local work=/tmp/callerid-install.$$
    mkdir -p "$T$work"
    cp "$SRC/scripts/apt-install.sh" "$SRC/firmware/runtime-packages.txt" "$T$work/"
    in_target "$work/apt-install.sh" "$work/runtime-packages.txt" || { rm -rf "${T:?}$work"; return 1; }
    rm -rf "${T:?}$work"
  else
    say "no apt in $ROOT: skipping Debian packages"
  fi
}

# --- 2. user and groups ---------------------------------------------------------------------------
in_group() { awk -F: -v g="$1" -v u="$2" '$1==g{n=split($4,m,","); for(i=1;i<=n;i++) if(m[i]==u) f=1} END{exit !f}' "$T/etc/group"; }

ensure_user() {
  local rootopt=()
  [ -z "$T" ] || rootopt=(--root "$ROOT")
  for group in "${GROUPS_WANTED[@]}"; do
    grep -q "^$group:" "$T/etc/group" || { groupadd "${rootopt[@]}" --system "$group"; CHANGED=1; say "created group $group"; }
  done
  if ! grep -q "^$USER_NAME:" "$T/etc/passwd"; then
    useradd "${rootopt[@]}" --system --user-group --home-dir /var/lib/callerid --no-create-home \
      --shell /usr/sbin/nologin --comment "callerid appliance" "$USER_NAME"
    CHANGED=1
    say "created system user $USER_NAME"
  fi
  local missing=()
  for group in "${GROUPS_WANTED[@]}"; do in_group "$group" "$USER_NAME" || missing+=("$group"); done
  if [ ${#missing[@]} -gt 0 ]; then
    usermod "${rootopt[@]}" --append --groups "$(IFS=,; echo "${missing[*]}")" "$USER_NAME"
    CHANGED=1
    say "added $USER_NAME to ${missing[*]}"
  fi
}

# --- 3. the package in a venv ---------------------------------------------------------------------
source_hash() {
  (cd "$SRC" && find callerid setup.py pyproject.toml -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
     -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

build_venv() {
  [ "$VENV" = 1 ] || { say "skipping the venv (--no-venv)"; return 0; }
  if ! target_has_python; then say "no Python in $ROOT: venv not built"; return 0; fi
  local stamp=$T$PREFIX/.source-sha256 want
  want=$(source_hash)
  if [ -x "$T$VENV_DIR/bin/callerid" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "venv up to date ($VENV_DIR)"
    return 0
  fi
  local work=/tmp/callerid-src.$$
  mkdir -p "$T$work"
  tar -C "$SRC" --exclude=__pycache__ --exclude='*.pyc' -cf - callerid setup.py pyproject.toml README.md \
    | tar -C "$T$work" -xf -
  # --system-site-packages: Raspberry Pi OS's python3-lgpio (GPIO on the Pi) is visible in the venv.
  [ -x "$T$VENV_DIR/bin/python" ] || in_target /usr/bin/python3 -m venv --system-site-packages "$VENV_DIR"
  # Into another root: pip there trusts only the target's CAs. Lend it the build machine's bundle
  # (which may hold a proxy's CA) for this one command; it is deleted with the work directory.
  local pip_env=()
  if [ -n "$T" ]; then
    local bundle=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
    if [ -f "$bundle" ]; then
      cp "$bundle" "$T$work/ca-bundle.crt"
      pip_env=(env "PIP_CERT=$work/ca-bundle.crt" "SSL_CERT_FILE=$work/ca-bundle.crt")
    fi
  fi
  if ! in_target "${pip_env[@]}" "$VENV_DIR/bin/python" -m pip install --quiet --no-cache-dir \
       --disable-pip-version-check --upgrade "$work"; then
    rm -rf "${T:?}$work"
    echo "install.sh: pip could not install callerid into $VENV_DIR (network? see above)" >&2
    return 1
  fi
  # GPIO: gpiozero drives the panel through lgpio. Raspberry Pi OS's python3-lgpio is visible through
  # --system-site-packages; on plain Debian (the image) pip builds it from source (swig, gcc).
  if is_pi_arch && ! in_target "$VENV_DIR/bin/python" -c 'import lgpio' 2>/dev/null; then
    if in_target sh -c 'command -v swig && command -v gcc' >/dev/null 2>&1 &&
       in_target env PYPI=1 "${pip_env[@]}" "$VENV_DIR/bin/python" -m pip install --quiet --no-cache-dir \
         --disable-pip-version-check 'lgpio>=0.2'; then  # PYPI=1: link lgpio's bundled C library in
      say "built lgpio for the LED panel"
    else
      say "WARNING: no lgpio: the LED panel will run on mock pins (install swig gcc python3-dev, re-run)"
    fi
  fi
  rm -rf "${T:?}$work"
  echo "$want" > "$stamp"
  CHANGED=1
  say "installed callerid into $VENV_DIR"
}

# --- 4. config, units, rules, directories ---------------------------------------------------------
install_files() {
  ensure_dir /etc/callerid 0755
  if [ ! -e "$T/etc/callerid/config.toml" ]; then
    if [ -f "$SRC/callerid/config.example.toml" ]; then
      install -m 0640 "$SRC/callerid/config.example.toml" "$T/etc/callerid/config.toml"
      chown "$(id_in_target root:$USER_NAME)" "$T/etc/callerid/config.toml"
      CHANGED=1
      say "wrote /etc/callerid/config.toml from the example (edit it, then: systemctl restart callerid)"
    else
      say "no config.example.toml in this version: the appliance runs on its defaults"
    fi
  fi
  put "$SRC/systemd/callerid.service" /etc/systemd/system/callerid.service 0644
  put "$SRC/systemd/callerid-modules.conf" /etc/modules-load.d/callerid.conf 0644
  local rules
  for rules in "$SRC"/hardware/udev/*.rules; do
    put "$rules" "/etc/udev/rules.d/$(basename "$rules")" 0644
  done
  [ ! -f "$SRC/docs/install.md" ] || put "$SRC/docs/install.md" "$PREFIX/docs/install.md" 0644
  # systemd makes these at start (StateDirectory= etc.); made here too so a --root image has them.
  ensure_dir /var/lib/callerid 0750 "$USER_NAME:$USER_NAME"
  ensure_dir /var/cache/callerid 0750 "$USER_NAME:$USER_NAME"
}

# --- the clock: time zone from the region, NTP on -----------------------------------------------
# The appliance logs each call with the local time and its offset (and the UTC instant), so a Pi left
# on UTC logs a Japanese household's calls 9 hours off. Only a zone nobody chose (none, or UTC) is
# replaced; --timezone always wins.
current_zone() {
  local link
  link=$(readlink "$T/etc/localtime" 2>/dev/null) || return 0
  echo "${link#*zoneinfo/}"
}

config_region() {
  local file region=""
  for file in "$T/etc/callerid/config.toml" "$SRC/callerid/config.example.toml"; do
    [ -f "$file" ] || continue
    region=$(sed -n 's/^[[:space:]]*region[[:space:]]*=[[:space:]]*"\([A-Za-z][A-Za-z]\)".*/\1/p' "$file" | head -n 1)
    [ -z "$region" ] || break
  done
  echo "${region:-JP}"
}

set_timezone() {
  local zone=$TIMEZONE now region
  now=$(current_zone)
  if [ -z "$zone" ]; then
    case $now in
      ""|UTC|Etc/UTC|Etc/Universal|Universal|Zulu|Etc/Zulu) ;;
      *) region=$(config_region)
         zone=$("$SRC/scripts/region-timezone.sh" "$region" "$T/usr/share/zoneinfo/zone.tab" 2>/dev/null) || zone=""
         if [ -n "$zone" ] && [ "$zone" != "$now" ]; then
           say "time zone $now kept, but region $region is $zone: if the household is there, re-run with --timezone $zone"
         else
           say "time zone $now kept"
         fi
         return 0 ;;
    esac
    region=$(config_region)
    if [ ! -r "$T/usr/share/zoneinfo/zone.tab" ]; then
      say "no tzdata in ${ROOT}: time zone not set (install tzdata, re-run)"
      return 0
    fi
    if ! zone=$("$SRC/scripts/region-timezone.sh" "$region" "$T/usr/share/zoneinfo/zone.tab" 2>&1); then
      say "time zone not set: $zone; set it with: sudo timedatectl set-timezone Area/City"
      return 0
    fi
  fi
  [ "$zone" != "$now" ] || return 0
  case $zone in /*|*..*|*[!A-Za-z0-9_+/-]*) echo "install.sh: not a time zone name: $zone" >&2; exit 2 ;; esac
  [ -f "$T/usr/share/zoneinfo/$zone" ] || { echo "install.sh: unknown time zone $zone (tzdata installed?)" >&2; exit 1; }
  if [ -z "$T" ] && [ -d /run/systemd/system ] && timedatectl set-timezone "$zone" 2>/dev/null; then :; else
    ln -sfn "/usr/share/zoneinfo/$zone" "$T/etc/localtime"
    [ ! -f "$T/etc/timezone" ] || echo "$zone" > "$T/etc/timezone"
  fi
  CHANGED=1
  say "time zone set to $zone${now:+ (was $now)}"
}

ensure_ntp() {
  # systemd-timesyncd unless another NTP client is there (chrony, ntpsec, openntpd): installed with
  # the Debian packages, switched on here.
  local unit=systemd-timesyncd.service
  if [ -z "$T" ]; then
    [ -d /run/systemd/system ] || return 0
    if systemctl list-unit-files "$unit" chrony.service ntpsec.service openntpd.service 2>/dev/null \
         | grep -q enabled; then
      return 0
    fi
    if systemctl cat "$unit" >/dev/null 2>&1; then
      timedatectl set-ntp true 2>/dev/null && say "NTP switched on (systemd-timesyncd)" && CHANGED=1
    else
      say "no NTP client: the call log's times drift (apt-get install systemd-timesyncd)"
    fi
  elif [ -e "$T/usr/lib/systemd/system/$unit" ] || [ -e "$T/lib/systemd/system/$unit" ]; then
    if ! compgen -G "$T/etc/systemd/system/*.target.wants/$unit" >/dev/null && command -v systemctl >/dev/null; then
      systemctl --root="$ROOT" enable "$unit" >/dev/null 2>&1 && CHANGED=1 && say "enabled $unit (NTP)"
    fi
  fi
}

enable_service() {
  local wants=$T/etc/systemd/system/multi-user.target.wants
  if [ ! -L "$wants/callerid.service" ]; then
    mkdir -p "$wants"
    ln -s /etc/systemd/system/callerid.service "$wants/callerid.service"
    CHANGED=1
    say "enabled callerid.service"
  fi
}

# --- 5. start, and tell the person what to do next -----------------------------------------------
web_port() {
  local port=""
  [ -x "$T$VENV_DIR/bin/python" ] && port=$(in_target "$VENV_DIR/bin/python" -c \
    'from callerid.config import load_config; print(load_config().web.port)' 2>/dev/null || true)
  echo "${port:-8080}"
}

start_service() {
  local since
  if [ "$START" = 0 ] || [ ! -d /run/systemd/system ]; then return 1; fi
  modprobe -a cdc_acm usbserial snd 2>/dev/null || true
  udevadm control --reload 2>/dev/null || true
  udevadm trigger --action=add --subsystem-match=tty --subsystem-match=gpio 2>/dev/null || true
  systemctl daemon-reload
  since=$(date +%s)
  if [ "$CHANGED" = 1 ] || ! systemctl is-active --quiet callerid; then
    say "starting callerid.service"
    systemctl restart callerid.service || true
  fi
  # The website prints a fresh one-time setup code when it starts with no password set.
  for _ in $(seq 1 30); do
    SETUP_CODE=$(journalctl -u callerid --since "@$((since - 1))" -o cat --no-pager 2>/dev/null \
      | grep -o 'one-time setup code [A-Z0-9-]*' | tail -n 1 | awk '{print $4}') || true
    [ -n "${SETUP_CODE:-}" ] && break
    systemctl is-active --quiet callerid && [ "$CHANGED" = 0 ] && break
    sleep 1
  done
  return 0
}

install_packages
ensure_user
build_venv
install_files
set_timezone
ensure_ntp
enable_service

SETUP_CODE=""
if start_service; then started=1; else started=0; fi

host=$(cat "$T/etc/hostname" 2>/dev/null || hostname)
port=$(web_port)
echo
echo "callerid is installed$([ -n "$T" ] && echo " in $ROOT")."
echo "  Family website:  http://${host}.local:${port}/   (or http://<this Pi's address>:${port}/)"
if [ -n "$SETUP_CODE" ]; then
  echo "  One-time setup code:  $SETUP_CODE   (enter it on the website to choose the password)"
elif [ "$started" = 1 ]; then
  echo "  Setup code: none printed since this run; if no password is set yet, find the newest one with"
  echo "      journalctl -u callerid | grep 'setup code'     (or set a password: sudo -u callerid $VENV_DIR/bin/callerid passwd)"
else
  echo "  On first start the service prints a one-time setup code for the website; read it with"
  echo "      journalctl -u callerid | grep 'setup code'"
fi
echo "  Config: /etc/callerid/config.toml    Calls: /var/lib/callerid/calls.db    Log: journalctl -u callerid"
[ "$CHANGED" = 1 ] || say "nothing changed (already installed)"
