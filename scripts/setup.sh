#!/usr/bin/env bash
# Installs the system libraries DeepSwift links against (Debian/Ubuntu), if they are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail
packages=(libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev libturbojpeg0-dev libopenmpi-dev openmpi-bin libhdf5-dev pkg-config)
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openblas zlib libpng libturbojpeg ompi-c hdf5-serial && [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
    exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}"
