#!/usr/bin/env bash
# Makes sure the services the integration and browser tests need are present and up:
# Redis on 127.0.0.1:6379, PostgreSQL on 127.0.0.1:5432 (database `test`), Debian's
# Chromium, and nginx (the load-balancer recipe's test starts its own, never the service). Installs them with apt-get when absent (as root), starts them when down.
# Tests never skip when a service is missing: this script makes it present or fails.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 50); do port_open "$1" && return 0; sleep 0.2; done
  echo "ensure-env: nothing answers on 127.0.0.1:$1" >&2
  return 1
}

# Redis
if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379
fi

# PostgreSQL
if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  wait_port 5432
fi
if command -v psql >/dev/null; then
  if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null 2>&1 ||
      $SUDO -u postgres psql -c 'create database test' >/dev/null
  fi
fi

# Chromium for the browser tests (Playwright uses Debian's build; it cannot download its own here)
if [ ! -x /usr/lib/chromium/chromium ]; then apt_install chromium; fi

# nginx for docs/recipes/load-balancer.md. Debian's package would start the service on port 80;
# where policy-rc.d allows that, the service is stopped again (the test runs nginx itself).
if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null; then
  apt_install nginx
  if [ -f /run/nginx.pid ]; then $SUDO /usr/sbin/nginx -s quit || true; fi
fi

echo "ensure-env: redis, postgresql, chromium and nginx are ready"
