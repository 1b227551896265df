#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages the build and tests need. Idempotent and quiet when everything
# is present; uses sudo when not run as root.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config make git
  libsqlite3-dev libfmt-dev libcli11-dev libssl-dev libcurl4-openssl-dev libyaml-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  # The fuzz targets (make fuzz): clang 14 and its libFuzzer and sanitizer runtimes.
  clang libclang-rt-14-dev
)

# DynamoDB Local (the tests' real DynamoDB) needs Java 17 and npm; machines that already have
# them from elsewhere keep their own.
command -v java >/dev/null || packages+=(openjdk-17-jre-headless)
command -v npm >/dev/null || packages+=(nodejs npm)
command -v curl >/dev/null || packages+=(curl)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
