#!/bin/sh
# Build the web UI into build/web (the directory `gridloop serve --web` serves): install the
# locked npm packages, copy the app and the vendor files it loads. No bundler: the app is plain
# ES modules. Usage: web/build.sh [OUT_DIR]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../build/web}
# A relative OUT is relative to where we were called from, not to web/.
case "$OUT" in /*) ;; *) OUT="$(pwd)/$OUT" ;; esac
cd "$HERE"
# npm ci only when the lock changed since the last install (it wipes node_modules every time).
stamp=node_modules/.gridloop-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
fi
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/vendor/leaflet" "$OUT.tmp/vendor/echarts" "$OUT.tmp/vendor/qrcode" "$OUT.tmp/vendor/leaflet-plugins"
cp index.html "$OUT.tmp/"
cp -R app "$OUT.tmp/app"
[ -f config.json ] && cp config.json "$OUT.tmp/"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$OUT.tmp/vendor/leaflet/"
cp -R node_modules/leaflet/dist/images "$OUT.tmp/vendor/leaflet/images"
cp node_modules/echarts/dist/echarts.min.js "$OUT.tmp/vendor/echarts/"
# The dashboard's point clusters and heat layer (Leaflet plugins, loaded after leaflet.js).
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
    node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css node_modules/leaflet.heat/dist/leaflet-heat.js \
    "$OUT.tmp/vendor/leaflet-plugins/"
cp node_modules/qrcode-generator/qrcode.js "$OUT.tmp/vendor/qrcode/"
for lic in leaflet echarts qrcode-generator leaflet.heat; do
    [ -f "node_modules/$lic/LICENSE" ] && cp "node_modules/$lic/LICENSE" "$OUT.tmp/vendor/LICENSE.$lic"
done
cp node_modules/leaflet.markercluster/MIT-LICENCE.txt "$OUT.tmp/vendor/LICENSE.leaflet.markercluster"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "web: built $OUT"
