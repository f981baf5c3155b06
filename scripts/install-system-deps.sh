#!/usr/bin/env bash
# Installs the Debian packages lantian needs when they are missing: Chromium (Playwright drives it; no browser
# download works on closed networks), Redis (distributed crawling and its tests), a CJK font (text in
# screenshots, in the simulator's images and embedded in takedown PDFs), a colour emoji font, poppler-utils, and a JDK with Maven (the local Elasticsearch server is built from
# Maven Central jars).
set -euo pipefail

needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
# Crawls run Chromium headless: the old headless shell renders the same pages with less CPU (core/browser.py).
command -v chromium-headless-shell >/dev/null 2>&1 || needed+=(chromium-headless-shell)
command -v redis-server >/dev/null 2>&1 || needed+=(redis-server)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || needed+=(fonts-wqy-microhei)
# Emoji in crawled titles: the console and screenshots show them in colour.
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || needed+=(fonts-noto-color-emoji)
# pdffonts and pdfimages: the tests check that takedown letters embed every font and one image per listing.
command -v pdffonts >/dev/null 2>&1 || needed+=(poppler-utils)
command -v javac >/dev/null 2>&1 || needed+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || needed+=(maven)

if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${needed[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${needed[@]}"
