#!/bin/sh
# Enforce the floors (docs/architecture.md): a file includes only its own module and the
# floors below it. Arrows point down.
#
#   cli (src/cli, main.c)   -> everything below
#   api                     -> core, json, http, store, domain modules, app
#   app (running state)     -> core, json, store, domain modules, demo
#   demo                    -> core, store, domain modules
#   domain modules          -> core, store, the domain modules before them in DOMAIN_ORDER
#   json, http, store       -> core (each only itself besides)
#   core                    -> core
#
# Domain modules never see HTTP or JSON. DOMAIN_ORDER lists them lowest first, so two of them
# cannot include each other (no cycle); a new module is placed in it on purpose.
# Third-party headers belong to the module that wraps them (THIRD_PARTY below).
# CMakeLists.txt enforces the same floors at link time (the layer_<floor> executables).
set -eu
cd "$(dirname "$0")/../src"

DOMAIN_ORDER="cal valid tabular geo audit auth attach notify org geocode addr basemap walk gridw patrol triage kb case assess open311 sensor warn warning risk opindex catalog grant points citizen policy particip service"

# header prefix | where it may be included (module/ for a whole module, or a file)
# sodium is a toolkit of primitives (hashing, random bytes, wiping keys): any module above core.
THIRD_PARTY='
cjson/          json/
microhttpd.h    http/
zlib.h          http/
sqlite3.h       store/
libpq-fe.h      store/store_pg.c store/store_pg.h store/store_listen.c
curl/           notify/
gd.h            attach/
geos_c.h        geo/
mosquitto.h     app/app_mqtt.c
libxml/         api/api_open311.c tabular/tabular_xlsx.c
zip.h           tabular/tabular_xlsx.c
xlsxwriter.h    api/api_assess.c api/api_export.c api/api_grant.c
cairo           api/api_bulletin.c
pango/          api/api_bulletin.c
fontconfig/     api/api_bulletin.c
sodium.h        json/ http/ store/ DOMAIN demo/ app/ api/ cli/
'
# Includes that break the rules today and are being removed (issue 9); do not add to this.
KNOWN_DEBT='
'

status=0
fail() {
    echo "layering: $*" >&2
    status=1
}

# allowed_for MODULE: the modules MODULE may include.
allowed_for() {
    case "$1" in
    core) echo "core" ;;
    json | http | store) echo "core $1" ;;
    demo) echo "core store $DOMAIN_ORDER demo" ;;
    app) echo "core json store $DOMAIN_ORDER demo app" ;;
    api) echo "core json http store $DOMAIN_ORDER app api" ;;
    cli) echo "core json http store $DOMAIN_ORDER demo app api cli" ;;
    *)
        below="core store"
        for d in $DOMAIN_ORDER; do
            below="$below $d"
            if [ "$d" = "$1" ]; then
                echo "$below"
                return 0
            fi
        done
        return 1
        ;;
    esac
}

for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
    case "$f" in
    main.c) mod=cli ;;
    */*) mod=${f%%/*} ;;
    *)
        fail "src/$f is outside every module (put it in a module directory)"
        continue
        ;;
    esac
    if ! allowed=$(allowed_for "$mod"); then
        fail "src/$mod/ is on no floor: add it to DOMAIN_ORDER in tools/check-includes.sh (or to a floor)"
        continue
    fi

    # Our headers: "module/file.h" (and "file.h" from the same directory).
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | sort -u); do
        case "$inc" in
        */*) imod=${inc%%/*} ;;
        *) continue ;; # a header beside the file, in its own module
        esac
        ok=0
        for a in $allowed; do [ "$imod" = "$a" ] && ok=1; done
        [ $ok -eq 1 ] && continue
        case " $DOMAIN_ORDER " in
        *" $mod "*" $imod "*) fail "src/$f ($mod) includes $imod/, which comes after $mod in DOMAIN_ORDER (a domain module uses only those before it, so peers form no cycle)" ;;
        *) fail "src/$f ($mod) includes $imod/ (arrows point down: see the floors in tools/check-includes.sh)" ;;
        esac
    done

    # Third-party headers: only where they are wrapped.
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f" | sort -u); do
        rule=$(echo "$THIRD_PARTY" | while read -r prefix where; do
            [ -n "$prefix" ] || continue
            case "$inc" in "$prefix"*) echo "$prefix $where" ;; esac
        done)
        [ -n "$rule" ] || continue
        prefix=${rule%% *}
        places=${rule#* }
        ok=0
        for w in $places; do
            case "$w" in
            DOMAIN) for d in $DOMAIN_ORDER; do [ "$mod" = "$d" ] && ok=1; done ;;
            */) [ "$mod/" = "$w" ] && ok=1 ;;
            *) [ "$f" = "$w" ] && ok=1 ;;
            esac
        done
        if [ $ok -eq 0 ] && echo "$KNOWN_DEBT" | grep -qx "$f $prefix"; then
            ok=1
        fi
        [ $ok -eq 1 ] || fail "src/$f includes <$inc>, which only $(echo "$places" | sed 's/DOMAIN/the domain modules/') may include"
    done
done

# The API and the app run no SQL: every statement belongs to the module that owns its table.
for f in $(find api app -name '*.c' | sort); do
    if grep -nE '"[^"]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b|\bstore_(query|query_int|exec|run|one|one_i64|one_text|all|prepare)\(' "$f" >/dev/null; then
        fail "src/$f runs SQL; move the statement into the domain module that owns the table"
    fi
done

# HTTP types stay in http and api: the app, the domain and the command line take plain data.
for f in $(find . -name '*.[ch]' ! -path './http/*' ! -path './api/*' | sort); do
    if grep -nE 'struct (http_req|http_res|api_call)\b' "$f" >/dev/null; then
        fail "src/${f#./} uses an HTTP type; take plain data (an app_ctx, the domain's structs) instead"
    fi
done

# Debt that is paid: say so, so the list only shrinks.
echo "$KNOWN_DEBT" | while read -r file prefix; do
    [ -n "$file" ] || continue
    if [ ! -f "$file" ] || ! grep -q "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$prefix" "$file"; then
        echo "layering: note: src/$file no longer includes <$prefix...>; drop it from KNOWN_DEBT" >&2
    fi
done

[ $status -eq 0 ] && echo "layering: ok"
exit $status
