#!/bin/sh
# Enforce the dependency rule: modules include only the layers below them.
#   core                       -> core
#   json, http, store          -> core (and themselves)
#   domain (auth org cal geo audit demo ...) -> core, store, other domain modules
#   app (running state)        -> core, json, store, domain modules
#   api                        -> anything in src
# Domain modules never see HTTP or JSON; nothing below api includes api.
set -eu
cd "$(dirname "$0")/../src"
status=0
for f in $(find . -name '*.[ch]' ! -path './main.c' | sort); do
    mod=$(echo "$f" | cut -d/ -f2)
    case "$mod" in
    core) allowed="core" ;;
    json | http | store) allowed="core $mod" ;;
    api) continue ;;
    app) allowed="core json store auth org cal geo audit demo attach triage case notify assess open311 app" ;;
    *) allowed="core store auth org cal geo audit demo attach triage case $mod" ;;
    esac
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*"/\1/p' "$f" | sort -u); do
        ok=0
        for a in $allowed; do [ "$inc" = "$a" ] && ok=1; done
        if [ $ok -eq 0 ]; then
            echo "layering: src/${f#./} ($mod) includes $inc/" >&2
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "layering: ok"
exit $status
