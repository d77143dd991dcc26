#!/usr/bin/env bash
# Boot the callerid image under qemu-system-aarch64 with the image's OWN kernel and initrd (read from
# its boot partition with mtools, no mounting) until callerid.service reports ready on the serial
# console, then check that the family website answers. Prints the boot-to-ready time.
#
#   firmware/image-test.sh [IMAGE]     (TIMEOUT seconds, default 900; MEM MiB, default 512 like a Zero 2 W;
#                                       TIMEZONE, default Asia/Tokyo: the zone the image must report)
#
# The guest's network is qemu's user-mode NAT with restrict=on: it gets a DHCP lease but cannot reach
# anything outside; only the website port is forwarded to 127.0.0.1 on this machine.
set -euo pipefail

FW=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMG=${1:-$FW/out/callerid-arm64.img}
TIMEOUT=${TIMEOUT:-900}
MEM=${MEM:-512}
# MACHINE=virt (default: qemu's generic board, virtio disk and network) or raspi3b / raspi3ap: qemu's
# model of a Pi 3 B / 3 A+ (the Zero 2 W's chip, BCM2837), booted with the image's own Pi 3 device
# tree from the boot partition, the card as an SD card, the network as a USB Ethernet adapter.
MACHINE=${MACHINE:-virt}
case $MACHINE in
  virt) dtb="" ;;
  raspi3b) dtb=bcm2837-rpi-3-b.dtb ;;
  raspi3ap) dtb=bcm2837-rpi-3-a-plus.dtb ;;
  *) echo "image-test: MACHINE must be virt, raspi3b or raspi3ap" >&2; exit 2 ;;
esac
[ -f "$IMG" ] || { echo "image-test: no image at $IMG (make image first)" >&2; exit 1; }
command -v qemu-system-aarch64 >/dev/null || { echo "image-test: qemu-system-aarch64 missing (qemu-system-arm)" >&2; exit 1; }

work=$(mktemp -d)
qemu_pid=""
cleanup() {
  [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
  [ -z "$qemu_pid" ] || wait "$qemu_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway copy, 1 GiB larger than the image, so the first-boot growth of the root fs is exercised.
cp --sparse=always "$IMG" "$work/disk.img"
truncate -s +1G "$work/disk.img"

# The kernel and initrd the Pi firmware would load: from the FAT partition (partition 1).
boot_start=$(sfdisk --dump "$IMG" | awk -F'[=,]' '/^[^ ]+1 :/ {gsub(/ /, "", $2); print $2}')
fat="$IMG@@$((boot_start * 512))"
kernel=$(mdir -b -i "$fat" :: | grep -o 'vmlinuz-[^ ]*' | sort -V | tail -n 1)
initrd=$(mdir -b -i "$fat" :: | grep -o 'initrd.img-[^ ]*' | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "image-test: no kernel/initrd on the boot partition" >&2; exit 1; }
mcopy -i "$fat" "::$kernel" "$work/vmlinuz"
mcopy -i "$fat" "::$initrd" "$work/initrd"
if [ -n "$dtb" ]; then
  mcopy -i "$fat" "::$dtb" "$work/board.dtb" || { echo "image-test: no $dtb on the boot partition" >&2; exit 1; }
  # qemu's SD card must be a power of two in size.
  size=$(stat -c %s "$work/disk.img") sd=1
  while [ "$sd" -lt "$size" ]; do sd=$((sd * 2)); done
  truncate -s "$sd" "$work/disk.img"
fi
# Two test-only units, written into the disk copy's root file system with debugfs (no mounting):
# a probe that reports on the serial console when callerid.service is ready (Type=notify: it runs
# right after READY=1), and the watchdog check, a loop that hangs, which the image's real systemd
# must kill. Neither is in the image itself.
root_start=$(sfdisk --dump "$work/disk.img" | awk -F'[=,]' '/^[^ ]+2 :/ {gsub(/ /, "", $2); print $2}')
rootfs="$work/disk.img?offset=$((root_start * 512))"
units=(callerid-ready-probe)
[ "${WATCHDOG_TEST:-1}" = 1 ] && units+=(callerid-hang-test)
for unit in "${units[@]}"; do
  debugfs -w -f - "$rootfs" >/dev/null 2>>"$work/debugfs.err" <<EOF
cd /usr/local/sbin
write $FW/image-test.d/$unit $unit
cd /etc/systemd/system
write $FW/image-test.d/$unit.service $unit.service
cd /etc/systemd/system/multi-user.target.wants
symlink $unit.service /etc/systemd/system/$unit.service
EOF
  debugfs -R "stat /etc/systemd/system/multi-user.target.wants/$unit.service" "$rootfs" 2>/dev/null \
    | grep -q 'Type: symlink' || { cat "$work/debugfs.err" >&2; echo "image-test: could not add $unit" >&2; exit 1; }
done
debugfs -w -f - "$rootfs" >/dev/null 2>>"$work/debugfs.err" <<EOF
cd /usr/local/sbin
write $FW/image-test.d/callerid-clock-check callerid-clock-check
EOF
debugfs -R "stat /usr/local/sbin/callerid-clock-check" "$rootfs" >/dev/null 2>&1 \
  || { cat "$work/debugfs.err" >&2; echo "image-test: could not add callerid-clock-check" >&2; exit 1; }
echo "image-test: booting $kernel + $initrd from $(basename "$IMG") on $MACHINE${dtb:+ with $dtb} (TCG)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
console=$work/console.log
: > "$console"
started=$(date +%s.%N)
netdev="user,id=net,restrict=on,hostfwd=tcp:127.0.0.1:$port-:8080"
# shellcheck disable=SC2054  # the commas are qemu's
if [ -z "$dtb" ]; then
  board=(-M virt -cpu cortex-a53 -smp 2 -m "$MEM"
         -drive "if=none,id=disk,file=$work/disk.img,format=raw" -device virtio-blk-pci,drive=disk
         -netdev "$netdev" -device virtio-net-pci,netdev=net,romfile=)
else  # the board model fixes CPUs (4) and memory (1 GiB for a 3 B, 512 MiB for a 3 A+)
  # shellcheck disable=SC2054
  board=(-M "$MACHINE" -dtb "$work/board.dtb" -drive "if=sd,file=$work/disk.img,format=raw"
         -netdev "$netdev" -device usb-net,netdev=net)
fi
qemu-system-aarch64 "${board[@]}" \
  -kernel "$work/vmlinuz" -initrd "$work/initrd" \
  -append "root=LABEL=RASPIROOT rw rootwait console=ttyAMA0 systemd.show_status=1" \
  -display none -monitor none -serial "file:$console" &
qemu_pid=$!

elapsed() { awk -v s="$started" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
status=1
while kill -0 "$qemu_pid" 2>/dev/null; do
  if grep -aq 'image-test-probe: callerid.service active/running' "$console"; then status=0; break; fi
  if grep -aq 'Failed to start .*callerid\.service\|image-test-probe: callerid.service [a-z]*/[a-z]' "$console" \
     && ! grep -aq 'image-test-probe: callerid.service active/running' "$console"; then status=2; break; fi
  if [ "$(printf '%.0f' "$(elapsed)")" -ge "$TIMEOUT" ]; then status=3; break; fi
  sleep 1
done
ready=$(elapsed)

echo "---- serial console (last 40 lines) ----"
tr -d '\r' < "$console" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tail -n 40
echo "----------------------------------------"
case $status in
  0) printf 'image-test: callerid.service ready %.0f s after qemu started\n' "$ready" ;;
  2) echo "image-test: callerid.service FAILED to start"; exit 1 ;;
  3) echo "image-test: callerid.service not ready after ${TIMEOUT}s"; exit 1 ;;
  *) echo "image-test: qemu exited before callerid.service was ready"; exit 1 ;;
esac
grep -aq 'root file system grown' "$console" && echo "image-test: first boot grew the root file system" \
  || echo "image-test: NOTE no root-growth line on the console"

# The family website, through the forwarded port: the first page a family member would open.
# Not on the Pi 3 model: qemu's dwc2 USB host never connects the USB Ethernet adapter
# ("dwc2 ...: Not connected" on the console), so that board has no network under qemu.
if [ -z "$dtb" ]; then
  for _ in $(seq 1 120); do
    code=$(curl -s -o "$work/page.html" -w '%{http_code}' "http://127.0.0.1:$port/" || true)
    case $code in 200|302|303) break ;; esac
    sleep 2
  done
  echo "image-test: website answered HTTP ${code:-none} on http://callerid.local:8080/ (forwarded to 127.0.0.1:$port)"
  case ${code:-} in 200|302|303) ;; *) exit 1 ;; esac
else
  echo "image-test: website not checked on $MACHINE (qemu's USB host model connects no network adapter)"
fi
grep -aq 'setup code' "$console" && echo "image-test: setup code shown on the console"

if [ "${WATCHDOG_TEST:-1}" = 1 ]; then
  # Real systemd, real watchdog: the hung test loop must be killed with SERVICE_RESULT=watchdog.
  for _ in $(seq 1 600); do
    grep -aq 'hang-test: stopped SERVICE_RESULT=' "$console" && break
    sleep 1
  done
  kicks=$(grep -ac 'hang-test: kick ' "$console" || true)
  result=$(grep -ao 'hang-test: stopped SERVICE_RESULT=[^ ]* EXIT_CODE=[^ ]* EXIT_STATUS=[^ ]*' "$console" | head -n 1)
  echo "image-test: watchdog test: $kicks kicks while the loop ran; ${result:-no stop seen}"
  # Guest-side times from the kernel timestamps of the console lines: last kick -> killed.
  stamp() { grep -ao "\[ *[0-9.]*\] [^ ]*: hang-test: $1" "$console" | sed 's/^\[ *\([0-9.]*\)\].*/\1/'; }
  last_kick=$(stamp 'kick ' | tail -n 1)
  stopped=$(stamp 'stopped ' | head -n 1)
  case $result in
    *SERVICE_RESULT=watchdog*) awk -v a="${last_kick:-0}" -v b="${stopped:-0}" \
      'BEGIN { printf "image-test: systemd killed the hung loop %.1f s after its last WATCHDOG=1 (WatchdogSec=10)\n", b - a }' ;;
    *) echo "image-test: the watchdog did not kill the hung loop"; exit 1 ;;
  esac
fi
# The probe goes on after its first line (the clock check logs in over HTTP): wait for its end.
for _ in $(seq 1 300); do
  grep -aq 'image-test-probe: done' "$console" && break
  sleep 1
done
echo "image-test: what the probe saw right after READY=1:"
grep -ao 'image-test-probe: .*' "$console" | tr -d '\r'

# The clock: the zone the image was built for (TIMEZONE, default Asia/Tokyo), NTP switched on.
want_zone=${TIMEZONE:-Asia/Tokyo}
clock=$(grep -ao 'image-test-probe: clock: .*' "$console" | tr -d '\r' | head -n 1)
zone=$(awk '{print $3}' <<<"$clock") ntp=$(awk '{print $4}' <<<"$clock")
if [ "$zone" = "$want_zone" ] && [ "$ntp" = yes ]; then
  echo "image-test: time zone $zone, NTP on (systemd-timesyncd), appliance offset ${clock##*offset=}"
else
  echo "image-test: clock wrong: want zone $want_zone with NTP=yes, the guest says '${clock#image-test-probe: clock: }'"
  exit 1
fi
# The website's clock: a call logged at 00:00 UTC (09:00 JST) is shown at 09:00 (callerid-clock-check).
shown=$(grep -ao 'image-test-probe: website clock: .*' "$console" | tr -d '\r' | head -n 1)
case $shown in
  *"website clock: ok "*) echo "image-test: ${shown#image-test-probe: }" ;;
  *) echo "image-test: the website shows a 09:00 JST call wrongly: '${shown:-no clock-check line}'"; exit 1 ;;
esac
exit 0
