#!/usr/bin/env bash
# System packages shotcraft uses: ffmpeg/ffprobe (libx264, libass, drawtext), a CJK font for
# captions and burned subtitles, fallback fonts for Hebrew, Arabic and emoji, espeak-ng for the
# scratch voice, and Chromium (Debian's own build) for the review page's browser tests. Installs them with apt where it can; elsewhere says what is missing and goes on
# (imageio-ffmpeg is the ffmpeg fallback).
set -u
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-wqy-microhei fontconfig); fi
# fallback fonts for what the CJK font lacks in burned subtitles: Hebrew/Arabic (DejaVu), emoji (Symbola)
if ! fc-list ':charset=5d0 627' 2>/dev/null | grep -q .; then missing+=(fonts-dejavu-core fontconfig); fi
if ! fc-list ':charset=1f984' 2>/dev/null | grep -q .; then missing+=(fonts-symbola fontconfig); fi
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
# the browser tests drive this binary (playwright's executable_path); never a downloaded browser
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v tmux >/dev/null 2>&1 || true
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  echo "setup: installing $pkgs" >&2
  $sudo apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null \
    || echo "setup: apt-get could not install $pkgs" >&2
else
  echo "setup: please install: $pkgs (ffmpeg falls back to imageio-ffmpeg; captions need a CJK font)" >&2
fi
exit 0
