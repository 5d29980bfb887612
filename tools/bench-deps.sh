#!/bin/sh
# Install the Debian packages `make bench` drives, when missing (the test
# suite does not need them). Only root can install; anyone else is told what.
set -eu
need=""
# wrk, a C load generator: the Python one (bench_api) has a p99 floor of
# ~20 ms on a 2-core machine, so it cannot tell whether nginx meets 10 ms.
command -v wrk >/dev/null 2>&1 || need="$need wrk"
# nginx serves the static publication in bench_publish (never as a system service).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need="$need nginx"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "bench-deps: please install:$need (apt-get install$need)" >&2
    exit 1
fi
echo "bench-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
