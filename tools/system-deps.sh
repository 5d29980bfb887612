#!/bin/sh
# Install the Debian packages the test suite (and, with --bench, the
# benchmarks) drive for real, when missing.
# Only root can install; anyone else is told what to install.
set -eu
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v promtool >/dev/null 2>&1 || need="$need prometheus"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
# What `make install` needs, and its test drives: the system's venv, ssh-keygen/-keyscan.
command -v make >/dev/null 2>&1 || need="$need make"
/usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1 || need="$need python3-venv"
command -v ssh-keyscan >/dev/null 2>&1 || need="$need openssh-client"
# npm fetches axe-core, the accessibility checker the dashboard tests run.
command -v npm >/dev/null 2>&1 || need="$need npm"
# nginx serves the static publication in its test and bench (never as a system service).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need="$need nginx"
# haproxy runs the shipped replica config in its test (never as a system service).
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || need="$need haproxy"
# `--bench` (make bench): also wrk, a C load generator. Python clients have a
# p99 of ~20 ms of their own on a 2-core machine: too coarse for a 10 ms goal.
if [ "${1:-}" = "--bench" ]; then
    command -v wrk >/dev/null 2>&1 || need="$need wrk"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "system-deps: please install:$need (apt-get install$need)" >&2
    exit 1
fi
echo "system-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
