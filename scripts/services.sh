#!/usr/bin/env bash
# Starts the services the integration tests need - PostgreSQL, MariaDB and Redis - on a
# Debian/Ubuntu machine or CI container without systemd (and installs Debian's Chromium for
# the portal's browser tests, and nginx for the balancer test, which starts nginx itself),
# and makes them match what the
# tests expect: trust auth from 127.0.0.1 with a `test` database (PostgreSQL), root with
# an empty password over TCP and a `test` database (MariaDB). Idempotent: a service that
# already answers is left running, and auth settings are only touched when they do not
# already work. Exits non-zero naming every service it could not bring up.
#
#   bash scripts/services.sh        (or: npm run services)
#
# Elsewhere: `docker compose -f deploy/compose.test-services.yaml up -d`.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
MYSQL_SOCKET=${MYSQL_SOCKET:-/run/mysqld/mysqld.sock}
REDIS_PORT=${REDIS_PORT:-6379}
WAIT_SECONDS=${WAIT_SECONDS:-30}

log() { echo "services: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# Root, or passwordless sudo, or nothing (then the commands fail and we say so).
if [ "$(id -u)" -eq 0 ]; then AS_ROOT=(); elif have sudo && sudo -n true 2>/dev/null; then AS_ROOT=(sudo -n); else AS_ROOT=(); fi
as_root() { "${AS_ROOT[@]}" "$@"; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi; }

# --- probes: does the service answer, the way the tests will talk to it? -------------
pg_answers() { have pg_isready && pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 1; }
pg_login_ok() { psql -w -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; }
# `mysqladmin ping` succeeds when the server answers, even if the login is refused.
mysql_answers() { have mysqladmin && mysqladmin ping -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=1 --silent >/dev/null 2>&1; }
mysql_login_ok() { mysql -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --protocol=tcp -e 'SELECT 1' >/dev/null 2>&1; }
redis_answers() { have redis-cli && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

wait_for() { # name probe
  local i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if "$2"; then return 0; fi
    sleep 0.5
  done
  log "$1 did not answer within ${WAIT_SECONDS}s"
  return 1
}

# --- install what is missing, in one apt-get run -------------------------------------
missing=()
have pg_ctlcluster || missing+=(postgresql)
{ have mariadbd || have mysqld || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; } || missing+=(mariadb-server mariadb-client)
have redis-server || missing+=(redis-server)
# All three answer already (e.g. from docker compose): no server package to install.
if [ "${#missing[@]}" -gt 0 ] && pg_answers && mysql_answers && redis_answers; then missing=(); fi
# nginx, the real balancer of test/deploy/balancer.test.ts (run by the test as its own child).
have nginx || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# Debian's Chromium for the portal's browser tests (test/portal, through playwright-core).
CHROMIUM=${SEMGATE_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && have apt-get; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || log "apt-get update failed: installing from the package lists at hand"
    apt-get install -y -qq "${missing[@]}" >/dev/null || log "could not install ${missing[*]}"
  else
    log "not installed: ${missing[*]} (install them as root, or run: docker compose -f deploy/compose.test-services.yaml up -d; chromium: apt-get install -y chromium)"
  fi
fi
[ -x "$CHROMIUM" ] || log "no Chromium at $CHROMIUM: the portal's browser tests (test/portal) will say so"
{ have nginx || [ -x /usr/sbin/nginx ]; } || log "no nginx: the balancer test (test/deploy) will say so (apt-get install -y nginx-light)"

# --- start ---------------------------------------------------------------------------
start_postgres() {
  have pg_ctlcluster || return 1
  # The cluster listening on PGPORT, else the first version's `main` cluster.
  local version cluster
  read -r version cluster < <(pg_lsclusters -h 2>/dev/null | awk -v p="$PGPORT" '$3 == p { print $1, $2; exit }') || true
  if [ -z "${version:-}" ]; then version=$(ls /etc/postgresql | head -1); cluster=main; fi
  log "starting PostgreSQL $version/$cluster"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
}

start_mariadb() {
  local bin=/usr/sbin/mariadbd
  [ -x "$bin" ] || bin=/usr/sbin/mysqld
  [ -x "$bin" ] || return 1
  if [ ! -d /var/lib/mysql/mysql ] && have mariadb-install-db; then
    log "initialising the MariaDB data directory"
    as_root mariadb-install-db --user=mysql >/dev/null
  fi
  as_root install -d -o mysql -g mysql /run/mysqld
  log "starting MariaDB"
  as_root start-stop-daemon --start --oknodo --background --exec "$bin" -- --user=mysql
}

start_redis() {
  have redis-server || return 1
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
}

failed=()
bring_up() { # name probe start
  if "$2"; then log "$1 already answers"; return 0; fi
  if "$3" && wait_for "$1" "$2"; then log "$1 started"; return 0; fi
  failed+=("$1")
  return 1
}

# --- make auth and databases match the tests (only when they do not already) --------
configure_postgres() {
  if ! pg_login_ok; then
    local hba
    hba=$(as_postgres psql -p "$PGPORT" -Atqc 'SHOW hba_file')
    log "PostgreSQL refused $PGUSER@$PGHOST without a password: adding trust lines for 127.0.0.1 and ::1 at the top of $hba"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    as_postgres psql -p "$PGPORT" -Atqc 'SELECT pg_reload_conf()' >/dev/null
    sleep 0.5
    pg_login_ok || { log "PostgreSQL login still refused"; return 1; }
  fi
  if [ -z "$(psql -w -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'")" ]; then
    log "creating PostgreSQL database test"
    psql -w -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -qc 'CREATE DATABASE test'
  fi
}

configure_mariadb() {
  if ! mysql_login_ok; then
    log "MariaDB refused root over TCP with an empty password: allowing it for root@localhost and root@127.0.0.1 (socket login kept)"
    as_root mysql --protocol=socket -S "$MYSQL_SOCKET" -uroot -e "
      ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      FLUSH PRIVILEGES;"
    mysql_login_ok || { log "MariaDB login still refused"; return 1; }
  fi
  if [ -z "$(mysql -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --protocol=tcp -N -e "SHOW DATABASES LIKE 'test'")" ]; then
    log "creating MariaDB database test"
    mysql -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --protocol=tcp -e 'CREATE DATABASE IF NOT EXISTS test'
  fi
}

if bring_up PostgreSQL pg_answers start_postgres; then configure_postgres || failed+=(PostgreSQL); fi
if bring_up MariaDB mysql_answers start_mariadb; then configure_mariadb || failed+=(MariaDB); fi
bring_up Redis redis_answers start_redis || true

if [ "${#failed[@]}" -gt 0 ]; then
  log "could not start: ${failed[*]}" >&2
  exit 1
fi
log "PostgreSQL $PGHOST:$PGPORT, MariaDB $MYSQL_HOST:$MYSQL_PORT and Redis 127.0.0.1:$REDIS_PORT are ready"
