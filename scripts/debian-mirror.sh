#!/usr/bin/env bash
# Print the Debian mirrors this machine's apt already uses, so that a new Debian tree (the SD-card
# image, the fresh-root test) fetches from the same place: a local mirror, a caching proxy, or
# whatever the builder configured. No host name is written into the repository.
#
#   scripts/debian-mirror.sh            -> the archive URI    (Release Origin "Debian", Label "Debian")
#   scripts/debian-mirror.sh security   -> the security URI   (Label "Debian-Security")
#
# MIRROR / SECURITY_MIRROR in the environment win. Reads `apt-cache policy`, which covers both
# sources.list formats, Raspberry Pi OS (its own archive has another Origin and is ignored) and
# anything apt.conf adds. Exits 1 with a hint when apt knows no Debian archive.
set -euo pipefail
want=${1:-archive}
case $want in
  archive) label=Debian var=MIRROR override=${MIRROR:-} ;;
  security) label=Debian-Security var=SECURITY_MIRROR override=${SECURITY_MIRROR:-} ;;
  *) echo "usage: debian-mirror.sh [archive|security]" >&2; exit 2 ;;
esac
if [ -n "$override" ]; then echo "$override"; exit 0; fi
command -v apt-cache >/dev/null || { echo "debian-mirror: no apt here: set MIRROR (and SECURITY_MIRROR)" >&2; exit 1; }

# apt-cache policy prints, per package index:
#  500 URI SUITE/COMPONENT ARCH Packages
#      release v=...,o=Debian,a=...,n=...,l=Debian,c=main,b=amd64
uri=$(LC_ALL=C apt-cache policy 2>/dev/null | awk -v label="$label" '
  /^ *-?[0-9]+ [a-z+]+:\/\// { uri = $2; next }
  /^ +release / && uri != "" {
    if ($0 ~ /[ ,]o=Debian(,|$)/ && $0 ~ ("[ ,]l=" label "(,|$)")) { print uri; exit }
    uri = ""
  }')
if [ -z "$uri" ]; then
  echo "debian-mirror: apt on this machine knows no $label archive: set $var=URI" >&2
  exit 1
fi
echo "${uri%/}"
