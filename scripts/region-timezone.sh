#!/usr/bin/env bash
# Print the time zone of a country (ISO 3166 two letters, callerid's `region`) when it has only one,
# from tzdata's zone.tab: JP -> Asia/Tokyo, GB -> Europe/London. A country with several zones
# (US, AU, ...) exits 1 and lists them on stderr: the builder or the household then picks one
# (TIMEZONE=..., or callerid-timezone.txt on the boot partition).
#
#   scripts/region-timezone.sh REGION [ZONE_TAB]      (ZONE_TAB: /usr/share/zoneinfo/zone.tab)
set -euo pipefail
region=$(printf '%s' "${1:?usage: region-timezone.sh REGION [ZONE_TAB]}" | tr '[:lower:]' '[:upper:]')
tab=${2:-/usr/share/zoneinfo/zone.tab}
[ -r "$tab" ] || { echo "region-timezone: no $tab (install tzdata)" >&2; exit 1; }
zones=$(awk -F'\t' -v cc="$region" '$1 == cc { print $3 }' "$tab")
count=$(printf '%s' "$zones" | grep -c . || true)
case $count in
  1) echo "$zones" ;;
  0) echo "region-timezone: no time zone for region $region in $tab" >&2; exit 1 ;;
  *) echo "region-timezone: region $region has $count time zones, choose one: $(echo "$zones" | paste -sd' ' -)" >&2; exit 1 ;;
esac
