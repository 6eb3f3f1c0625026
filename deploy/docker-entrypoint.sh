#!/bin/sh
# The container's entrypoint: `igflight serve` on all interfaces of the container, and only with client
# credentials. Inside a container, 0.0.0.0 is reachable by whatever the port is published to; without
# credentials anyone there could read the reports (and spend the Graph budget), so this refuses.
#
#   (no arguments) or `serve [FLAGS]`: serve on $IGFLIGHT_LISTEN (default 0.0.0.0:50051) with the
#       client credentials of IGFLIGHT_AUTH_TOKENS (comma separated bearer tokens) or the auth file
#       named by IGFLIGHT_AUTH_FILE (`token …`/`user …` lines), or an --auth-* flag among FLAGS.
#   anything else: run igflight with those arguments (`accounts list`, `--help`, …).
#
# `exec` makes igflight PID 1's only process: `docker stop` sends SIGTERM to it, and it drains.
set -eu

bin="${IGFLIGHT_BIN:-/usr/local/bin/igflight}"
listen="${IGFLIGHT_LISTEN:-0.0.0.0:50051}"

if [ "$#" -gt 0 ] && [ "$1" != "serve" ]; then
    exec "$bin" "$@"
fi
[ "$#" -gt 0 ] && shift

auth=""
[ -n "${IGFLIGHT_AUTH_TOKENS:-}" ] && auth="IGFLIGHT_AUTH_TOKENS"
if [ -n "${IGFLIGHT_AUTH_FILE:-}" ]; then
    auth="IGFLIGHT_AUTH_FILE"
    set -- --auth-file "$IGFLIGHT_AUTH_FILE" "$@"
fi
for arg in "$@"; do
    case "$arg" in
        --auth-token | --auth-token=* | --auth-token-file | --auth-token-file=* | --auth-file | --auth-file=* | --auth-user | --auth-user=*)
            auth="$arg"
            ;;
    esac
done

if [ -z "$auth" ]; then
    echo "error: refusing to serve on $listen without client credentials: set IGFLIGHT_AUTH_TOKENS (bearer tokens, comma separated) or IGFLIGHT_AUTH_FILE (an --auth-file), or pass an --auth-* flag" >&2
    exit 2
fi

exec "$bin" serve --listen "$listen" "$@"
