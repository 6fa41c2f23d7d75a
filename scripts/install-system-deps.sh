#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the workbench needs when they are missing:
# Qt's xcb platform libraries, Mesa OpenGL (vispy), and Xvfb for the headless test suite;
# poppler-utils (pdftoppm) lets the export test render every exported PDF and check it is not blank.
# Uses apt-get as root, or sudo when available; otherwise prints the command and continues.
set -u
PKGS="xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-xinerama0 libxcb-shape0 libxcb-xkb1 libgl1 libegl1 libglx-mesa0 libgl1-mesa-dri
libfontconfig1 libdbus-1-3 fonts-dejavu-core poppler-utils"
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian-based system; make sure Qt's xcb libraries, OpenGL and Xvfb are installed" >&2
  exit 0
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-system-deps: please install:$missing  (apt-get install$missing)" >&2
  exit 0
fi
echo "install-system-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
