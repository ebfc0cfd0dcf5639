#!/bin/bash
# fsscript of the base feature: runs inside the finished stage4's chroot.
set -euo pipefail

# UTC and a C.UTF-8/en_US.UTF-8 locale on every machine.
ln -sf ../usr/share/zoneinfo/UTC /etc/localtime
echo "UTC" > /etc/timezone
cat > /etc/locale.gen <<'LOCALES'
C.UTF-8 UTF-8
en_US.UTF-8 UTF-8
LOCALES
locale-gen
eselect locale set en_US.utf8
