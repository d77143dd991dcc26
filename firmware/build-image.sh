#!/usr/bin/env bash
# Build the callerid SD-card image for Raspberry Pi 3 / 4 / Zero 2 W (arm64) from Debian packages.
#
#   sudo firmware/build-image.sh [OUT.img]        (default firmware/out/callerid-arm64.img)
#
# mmdebstrap makes a Debian arm64 tree (13 "trixie" by default; arm64 maintainer scripts run through
# qemu-user-static and binfmt_misc), firmware/customize-image.sh installs callerid into it with
# install.sh, and the disk image is assembled WITHOUT mounting anything: mkfs.vfat + mcopy for the
# boot partition, mkfs.ext4 -d for the root partition, sfdisk for the partition table, dd to join them.
# Environment: SUITE (trixie; bookworm works too), MIRROR and SECURITY_MIRROR (default: the Debian
# mirrors this machine's apt uses, scripts/debian-mirror.sh), IMAGE_MIRROR and IMAGE_SECURITY_MIRROR
# (what the card's apt uses at home; default: the same), REGION (JP) and TIMEZONE (default: the
# region's only zone, Asia/Tokyo for JP), BOOT_MB (FAT size), ROOT_SLACK_MB (free space left in the
# root partition before it grows on first boot), WORK (scratch directory), KEEP_TREE=1 (keep the tree).
set -euo pipefail

FW=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$FW/out/callerid-arm64.img}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
WORK=${WORK:-$(dirname "$OUT")/work}
SUITE=${SUITE:-trixie}
REGION=${REGION:-JP}
BOOT_MB=${BOOT_MB:-256}
ROOT_SLACK_MB=${ROOT_SLACK_MB:-512}
START_MB=4  # first partition at 4 MiB: erase-block aligned on SD cards

log() { printf '%s build-image: %s\n' "$(date +%T)" "$*"; }
die() { echo "build-image: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap builds the tree as root)"
for tool in mmdebstrap mkfs.vfat mcopy mkfs.ext4 sfdisk; do
  command -v "$tool" >/dev/null || die "$tool missing: make -C firmware image-tools (installs firmware/build-packages.txt)"
done

# arm64 programs must run here through qemu-user (binfmt_misc), unless this machine is arm64.
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc"
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 \
    || die "cannot register qemu-aarch64 with binfmt_misc (qemu-user-static, binfmt-support)"
  arch-test arm64 >/dev/null || die "arm64 binaries do not run here (arch-test arm64)"
fi

# The mirrors: the builder's own (a local mirror or caching proxy works as it does for apt here).
MIRROR=$("$FW/../scripts/debian-mirror.sh" archive) || die "no Debian mirror: set MIRROR=URI"
SECURITY_MIRROR=$("$FW/../scripts/debian-mirror.sh" security) || die "no Debian security mirror: set SECURITY_MIRROR=URI"
components="main contrib non-free-firmware"
# The card's own apt sources: a builder's LAN-only mirror would be unreachable from the household.
IMAGE_MIRROR=${IMAGE_MIRROR:-$MIRROR}
IMAGE_SECURITY_MIRROR=${IMAGE_SECURITY_MIRROR:-$SECURITY_MIRROR}
# The clock: the household's zone, from the region (customize-image.sh links /etc/localtime).
TIMEZONE=${TIMEZONE:-$("$FW/../scripts/region-timezone.sh" "$REGION")} \
  || die "region $REGION spans several time zones: set TIMEZONE=Area/City (or leave it UTC: TIMEZONE=Etc/UTC)"
[ -f "/usr/share/zoneinfo/$TIMEZONE" ] || die "unknown time zone $TIMEZONE"
export TIMEZONE

packages=$(sed -e 's/#.*//' "$FW/image-packages.txt" | tr -s ' \t\n' '\n' | grep -v '^$' | paste -sd, -)
tree=$WORK/tree
rm -rf "$tree"
mkdir -p "$WORK"
started=$(date +%s)

# The kernel, udev, kmod... each ask for an initramfs, and one build takes many minutes under
# emulation (MODULES=most: ~900 modules). Divert update-initramfs to a no-op while packages install;
# customize-image.sh restores it and builds the initramfs once, at the end.
# shellcheck disable=SC2016  # $1 is mmdebstrap's, expanded when the hook runs
defer_initramfs='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs &&
  printf "#!/bin/sh\necho update-initramfs: deferred to the end of the image build\n" > "$1/usr/sbin/update-initramfs" &&
  chmod 0755 "$1/usr/sbin/update-initramfs"'

# The build machine's apt proxy (if any) serves the build only: written at setup, removed at the end,
# so the card never carries it.
proxy_file=/etc/apt/apt.conf.d/00callerid-build-proxy
proxy_hooks=()
mkdir -p "$WORK"
if apt-config dump 2>/dev/null | grep -E '^Acquire::https?::Proxy ' > "$WORK/build-proxy.conf"; then
  proxy_hooks=(--setup-hook="upload $WORK/build-proxy.conf $proxy_file" --customize-hook="rm -f \"\$1$proxy_file\"")
fi

log "mmdebstrap: Debian $SUITE arm64 with $(tr ',' '\n' <<<"$packages" | wc -l) packages from $MIRROR, time zone $TIMEZONE"
# The apt cache (WORK/apt-cache) is kept between builds so a rebuild downloads nothing new.
mkdir -p "$WORK/apt-cache"
mmdebstrap --arch=arm64 --variant=minbase --components="$components" \
  --include="$packages" \
  --aptopt='Acquire::Retries "3"' --skip=essential/unlink \
  --setup-hook='mkdir -p "$1/boot/firmware"' \
  "${proxy_hooks[@]}" \
  --customize-hook="printf 'deb %s %s %s\\n' '$IMAGE_MIRROR' '$SUITE' '$components' '$IMAGE_MIRROR' '$SUITE-updates' '$components' '$IMAGE_SECURITY_MIRROR' '$SUITE-security' '$components' > \"\$1/etc/apt/sources.list\"" \
  --essential-hook="$defer_initramfs" \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"' --setup-hook="sync-in $WORK/apt-cache /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives $WORK/apt-cache" \
  --customize-hook="\"$FW/customize-image.sh\" \"\$1\"" \
  "$SUITE" "$tree" \
  "deb $MIRROR $SUITE $components" "deb $MIRROR $SUITE-updates $components" \
  "deb $SECURITY_MIRROR $SUITE-security $components"
log "tree ready: $(du -sh "$tree" | cut -f1)"

# --- boot partition: FAT32 filled with mcopy ---------------------------------------------------
boot_img=$WORK/boot.img root_img=$WORK/root.img
rm -f "$boot_img" "$root_img"
mkfs.vfat -F 32 -n RASPIFIRM -C "$boot_img" $((BOOT_MB * 1024)) >/dev/null
mcopy -i "$boot_img" -s -p -m "$tree"/boot/firmware/* ::/
find "$tree/boot/firmware" -mindepth 1 -delete  # the mount point stays, empty, in the root fs

# --- root partition: ext4 filled with mkfs.ext4 -d ---------------------------------------------
used_mb=$(du -sm --apparent-size "$tree" | cut -f1)
root_mb=$(( (used_mb * 115 / 100) + ROOT_SLACK_MB ))
mkfs.ext4 -q -L RASPIROOT -d "$tree" -E root_owner=0:0 "$root_img" "${root_mb}M"

# --- the disk: MBR partition table (the Pi's boot ROM reads MBR), partitions joined with dd -------
size_mb=$((START_MB + BOOT_MB + root_mb))
rm -f "$OUT"
truncate -s "${size_mb}M" "$OUT"
sfdisk --quiet "$OUT" <<EOF
label: dos
unit: sectors
start=$((START_MB * 2048)), size=$((BOOT_MB * 2048)), type=c, bootable
start=$(((START_MB + BOOT_MB) * 2048)), size=$((root_mb * 2048)), type=83
EOF
dd if="$boot_img" of="$OUT" bs=1M seek="$START_MB" conv=notrunc,sparse status=none
dd if="$root_img" of="$OUT" bs=1M seek=$((START_MB + BOOT_MB)) conv=notrunc,sparse status=none
rm -f "$boot_img" "$root_img"
[ "${KEEP_TREE:-0}" = 1 ] || rm -rf "$tree"

elapsed=$(( $(date +%s) - started ))
log "done: $OUT  $(du -h --apparent-size "$OUT" | cut -f1) ($(du -h "$OUT" | cut -f1) on disk, sparse)  in ${elapsed}s"
