#!/usr/bin/env bash
# Installs the system packages SoftPrompt needs (idempotent; needs root or sudo for apt-get).
set -euo pipefail
need=()
for pkg in libopenblas-dev pkg-config unzip openssl curl libsqlite3-dev strace libopenmpi-dev openmpi-bin iproute2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.0 or later) is required" >&2; exit 1; }
