#!/usr/bin/env bash
# Idempotent install of the Debian packages the project needs.
# At run time (all installs):
#   ffmpeg     - ffprobe/ffmpeg for validating and decoding uploaded recordings (and openai-whisper)
#   gettext    - msgfmt for compilemessages (English translations)
# For development and tests only (skipped with --runtime, which scripts/bootstrap passes
# under DJANGO_ENV=production: a server gets no test tooling or test data):
#   espeak-ng  - synthetic speech for the demo calls, the speech tests and benchmark
#   sox        - audio conversion/measurement in tests
#   chromium   - headless browser journeys (Playwright with executable_path=/usr/bin/chromium)
#   fonts-wqy-zenhei - a CJK font so browser screenshots show the Chinese UI
#   pocketsphinx-testdata - real read speech (LibriVox) with reference transcripts: accuracy test and bench/stt.py
# Installs only what is missing (checked with dpkg -s); runs apt-get update only when
# something must be installed. Safe to run repeatedly.
set -euo pipefail

PACKAGES=(ffmpeg gettext)
if [ "${1:-}" != "--runtime" ]; then
  PACKAGES+=(espeak-ng sox chromium fonts-wqy-zenhei pocketsphinx-testdata)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_system_deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "==> installing system packages: ${missing[*]}"
# Refresh the package lists only when they were never fetched (fresh container) or the
# first install attempt fails because they are stale.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
fi
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
