#!/usr/bin/env bash
# Install the Debian packages listed in debian-packages.txt that are missing.
# Runs apt-get only when something is missing; as root directly, otherwise through sudo.
# Enables the `contrib` component first when a listed package lives there (the HTS voice).
set -euo pipefail
list=${1:-debian-packages.txt}
command -v dpkg-query >/dev/null 2>&1 || { echo "apt-install: not a Debian system, skipping Debian packages" >&2; exit 0; }

wanted=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$' || true)
missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "apt-install: missing Debian packages (${missing[*]}) and not root: install them, then run make again" >&2
  exit 1
fi

enable_contrib() {
  # deb822 files (Debian 12 and 13 images, mmdebstrap): the Debian stanzas, i.e. debian.sources or a
  # stanza signed with the Debian archive keyring. Raspberry Pi OS already carries contrib.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if awk -v all="$([ "$(basename "$f")" = debian.sources ] && echo 1)" '
      BEGIN { RS = ""; ORS = "\n\n" }
      (all || /Signed-By:[^\n]*debian-archive/) && /(^|\n)Components:[ \t]*main/ && !/(^|\n)Components:[^\n]*contrib/ {
        sub(/(^|\n)Components:[ \t]*main/, "&@CONTRIB@"); sub(/@CONTRIB@/, " contrib"); changed = 1
      }
      { print }
      END { exit !changed }' "$f" > "/tmp/apt-install.$$.sources"; then
      echo "apt-install: enabling contrib in $f"
      $sudo cp "/tmp/apt-install.$$.sources" "$f"
    fi
    rm -f "/tmp/apt-install.$$.sources"
  done
  if [ -f /etc/apt/sources.list ] && grep -q '^deb .* main' /etc/apt/sources.list && ! grep -q 'contrib' /etc/apt/sources.list; then
    $sudo sed -i 's/^\(deb .* main\)\(.*\)$/\1 contrib\2/' /etc/apt/sources.list
  fi
}

echo "apt-install: installing ${missing[*]}"
enable_contrib
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
