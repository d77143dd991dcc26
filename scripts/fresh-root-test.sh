#!/usr/bin/env bash
# What a new user of Debian SUITE goes through, from nothing: a fresh minimal root (mmdebstrap
# minbase with only python3, make and git; the main component only, as a default install has), this
# checkout copied in, then `make setup` (Debian packages, .venv, pip: the one step with network),
# `make demo` and `make test` as root inside it, those two in a network namespace of their own
# with only a loopback (tests never use the network; their ports cannot collide with this machine's).
#
#   sudo scripts/fresh-root-test.sh [SUITE]       SUITE: trixie (default) or bookworm
#
# Environment: MIRROR / SECURITY_MIRROR (default: this machine's apt mirrors, scripts/debian-mirror.sh),
# WORK (default /var/tmp/callerid-fresh-SUITE; the tree is deleted at the end unless KEEP_ROOT=1),
# PYTEST_ARGS (passed to pytest through `make test`). Exit status: that of the first failing step.
# `make test-fresh-root` runs it for trixie and bookworm; tests/test_fresh_root.py is the same, as a
# pytest test deselected by default (-m fresh_root).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=${1:-trixie}
WORK=${WORK:-/var/tmp/callerid-fresh-$SUITE}
root=$WORK/root

log() { printf '%s fresh-root[%s]: %s\n' "$(date +%T)" "$SUITE" "$*"; }
die() { echo "fresh-root-test: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap, chroot, unshare)"
for tool in mmdebstrap unshare chroot ip git; do
  command -v "$tool" >/dev/null || die "$tool missing (mmdebstrap, util-linux, coreutils, iproute2, git)"
done
mirror=$("$REPO/scripts/debian-mirror.sh" archive) || die "no Debian mirror: set MIRROR=URI"
security=$("$REPO/scripts/debian-mirror.sh" security) || die "no Debian security mirror: set SECURITY_MIRROR=URI"

cleanup() {
  if [ "${KEEP_ROOT:-0}" = 1 ]; then log "tree kept in $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT
rm -rf "$root"
mkdir -p "$WORK"
started=$(date +%s)

log "mmdebstrap: Debian $SUITE minbase + python3 make git from $mirror"
mmdebstrap --variant=minbase --include=python3,make,git --skip=cleanup/apt/lists --quiet \
  "$SUITE" "$root" \
  "deb $mirror $SUITE main" "deb $mirror $SUITE-updates main" "deb $security $SUITE-security main"
cp /etc/resolv.conf "$root/etc/resolv.conf"
log "root ready in $(( $(date +%s) - started )) s: $(chroot "$root" python3 --version), $(du -sh "$root" | cut -f1)"

# The checkout as it is now (tracked and new files, uncommitted edits included; no .venv, no out/).
mkdir -p "$root/src"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$REPO" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$root/src" -xf -

# pip inside the root trusts only its own CAs: lend it this machine's bundle (which may hold a proxy's
# CA), as firmware/install.sh does for the image. apt keeps the root's own configuration.
env_in=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb)
for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -z "${!var:-}" ] || env_in+=("$var=${!var}")
done
bundle=${PIP_CERT:-${SSL_CERT_FILE:-}}
if [ -n "$bundle" ] && [ -f "$bundle" ]; then
  cp "$bundle" "$root/root/host-ca-bundle.crt"
  env_in+=(PIP_CERT=/root/host-ca-bundle.crt)
fi
[ -z "${PYTEST_ARGS:-}" ] || env_in+=("PYTEST_ADDOPTS=$PYTEST_ARGS")

# in_root [--offline] CMD...: CMD in the root with /proc, /sys, /dev (ptys, shm) mounted in a private
# mount namespace (they vanish with it); --offline adds a network namespace with only loopback.
in_root() {
  local net=()
  if [ "$1" = --offline ]; then net=(--net); shift; fi
  unshare --mount --propagation private "${net[@]}" --fork -- bash -euc '
    root=$1; shift
    ip link set lo up 2>/dev/null || true
    mount --bind "$root" "$root"  # / a mount point in the root, as on a machine (unshare in tests)
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    exec chroot "$root" "$@"' in_root "$root" /usr/bin/env -i "${env_in[@]}" "$@"
}

step() {  # step NAME [--offline] CMD...: run, time and report one step; stop at the first failure
  local name=$1 t0 rc=0; shift
  t0=$(date +%s)
  log "$name ..."
  in_root "$@" || rc=$?
  log "$name: exit $rc in $(( $(date +%s) - t0 )) s"
  [ "$rc" = 0 ] || exit "$rc"
}

step "make setup (Debian packages, .venv, pip)" sh -c 'cd /src && make setup'
step "make demo (offline)" --offline sh -c 'cd /src && make demo </dev/null'
step "make test (offline)" --offline sh -c 'cd /src && make test'
log "Debian $SUITE: make setup, make demo and make test passed in $(( $(date +%s) - started )) s"
