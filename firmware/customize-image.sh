#!/usr/bin/env bash
# mmdebstrap customize hook for the callerid image: $1 is the finished Debian arm64 tree.
# Installs callerid with install.sh (the same installer as on an existing Pi), lays the files from
# firmware/rootfs over the tree, and sets the image's policy: hostname callerid, SSH off, no
# passwords, networkd + avahi, the time zone ($TIMEZONE) and NTP, first-boot jobs, the Pi boot files
# pointing at LABEL=RASPIROOT.
set -euo pipefail
TREE=${1:?usage: customize-image.sh TREE}
FW=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '%s customize-image: %s\n' "$(date +%T)" "$*"; }

# Name resolution for pip inside the tree while we build (systemd-resolved's stub is not running).
resolv=$TREE/etc/resolv.conf
saved_resolv=$(readlink "$resolv" 2>/dev/null || true)
rm -f "$resolv"
cp /etc/resolv.conf "$resolv"
restore_resolv() {
  rm -f "$resolv"
  if [ -n "$saved_resolv" ]; then ln -s "$saved_resolv" "$resolv"; else : > "$resolv"; fi
}
trap restore_resolv EXIT

log "image files (hostname, fstab, network, first-boot jobs)"
cp -a "$FW/rootfs/." "$TREE/"

log "installing callerid (install.sh --root; pip runs under emulation)"
"$FW/install.sh" --root "$TREE" --no-apt --no-start
chroot "$TREE" /opt/callerid/venv/bin/python -c 'import lgpio' || { log "lgpio missing in the venv"; exit 1; }

# swig, gcc and python3-dev were only there to build lgpio: ~300 MB the card does not need.
log "removing the lgpio build tools"
build_tools=$(sed -e 's/#.*//' "$FW/gpio-build-packages.txt" | tr -s ' \t\n' ' ')
# shellcheck disable=SC2086  # a word list
chroot "$TREE" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $build_tools >/dev/null
chroot "$TREE" env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >/dev/null

log "services"
systemctl --root="$TREE" enable systemd-networkd.service systemd-resolved.service avahi-daemon.service \
  systemd-timesyncd.service callerid-firstboot.service callerid-setup-code.service >/dev/null 2>&1

# The household's clock: the calls are logged with the local time and its offset (the database keeps
# the UTC instant beside it), so the zone must be right before the first call. NTP: systemd-timesyncd.
zone=${TIMEZONE:-Etc/UTC}
[ -f "$TREE/usr/share/zoneinfo/$zone" ] || { log "time zone $zone not in the tree (tzdata missing?)"; exit 1; }
ln -sfn "/usr/share/zoneinfo/$zone" "$TREE/etc/localtime"
[ ! -f "$TREE/etc/timezone" ] || echo "$zone" > "$TREE/etc/timezone"
log "time zone $zone; NTP by systemd-timesyncd"
systemctl --root="$TREE" disable ssh.service >/dev/null 2>&1 || true
systemctl --root="$TREE" mask ssh.socket >/dev/null 2>&1 || true
# No SSH host keys in an image (every card would share them): made on the Pi when SSH is switched on.
rm -f "$TREE"/etc/ssh/ssh_host_*
# No passwords: root is locked; access is through the website, or SSH with a key from the boot partition.
usermod --root "$TREE" --lock root
# An empty machine-id: systemd makes a unique one on first boot (and runs first-boot presets).
: > "$TREE/etc/machine-id"
rm -f "$TREE/var/lib/dbus/machine-id"
resolv_link=../run/systemd/resolve/stub-resolv.conf
[ -e "$TREE/usr/lib/systemd/systemd-resolved" ] && saved_resolv=$resolv_link

# The Pi's boot files: root by label (the same on the SD card and under qemu), boot log on HDMI and
# serial. raspi-firmware's hooks write cmdline.txt/config.txt and copy kernel, initrd and DTBs.
grep -q '^# callerid image' "$TREE/etc/default/raspi-firmware" ||
  printf '\n# callerid image\nROOTPART="LABEL=RASPIROOT"\nCONSOLES="ttyS1,115200 tty0"\n' \
    >> "$TREE/etc/default/raspi-firmware"

# The one initramfs build (build-image.sh deferred every earlier request).
if [ -e "$TREE/usr/sbin/update-initramfs.distrib" ]; then
  rm -f "$TREE/usr/sbin/update-initramfs"
  chroot "$TREE" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
fi
log "building the initramfs (once; slow under emulation)"
chroot "$TREE" update-initramfs -c -k all
chroot "$TREE" env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware
log "boot partition: $(ls "$TREE/boot/firmware" | wc -l) files; cmdline: $(cat "$TREE/boot/firmware/cmdline.txt")"
