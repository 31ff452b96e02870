#!/usr/bin/env bash
# The container image's build, without Docker: performs the Dockerfile's steps in a
# temporary directory and checks what the image promises. Exits non-zero on any failure.
#
#   build stage:   copy what the Dockerfile copies, `npm run build` (tsc -> dist/server/,
#                  portal -> dist/portal/). Its `npm ci` is the one CI has just run in the
#                  repository (same lockfile): node_modules is linked, not installed again.
#   runtime stage: package.json + lockfile, `npm ci --omit=dev`, the build's dist/, the demo
#                  files; run as a non-root user (nobody) when started as root.
#   checks:        `node dist/server/cli/main.js serve` with a configuration mounted at a
#                  temporary "/etc/semgate" answers /health (the HEALTHCHECK command itself),
#                  a query with its key, 401 without one, /metrics only with the token;
#                  SIGTERM exits 0; without a configuration it refuses with one line naming
#                  what to mount; SEMGATE_DEMO=1 serves the demo.
#
#   bash scripts/prod-smoke.sh        (or: npm run smoke:prod)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PORT=${SMOKE_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/semgate-prod-smoke.XXXXXX")
PID=
log() { echo "prod-smoke: $*"; }
fail() { echo "prod-smoke: FAIL: $*" >&2; [ -f "$WORK/serve.log" ] && tail -20 "$WORK/serve.log" >&2; exit 1; }
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
started=$SECONDS

# As the image: a non-root user. From root, `nobody` (through setpriv); otherwise as is.
AS_USER=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  AS_USER=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
  chmod 755 "$WORK"
fi

# ---- build stage --------------------------------------------------------------------
[ -d node_modules ] || fail "run npm ci first (the build stage uses the repository's node_modules)"
mkdir -p "$WORK/build/scripts"
cp package.json package-lock.json tsconfig.json tsconfig.build.json "$WORK/build/"
cp scripts/build.mjs scripts/build-portal.mjs "$WORK/build/scripts/"
cp -r portal src "$WORK/build/"
ln -s "$REPO/node_modules" "$WORK/build/node_modules"
log "build stage: npm run build"
(cd "$WORK/build" && npm run --silent build >/dev/null) || fail "npm run build"
[ -f "$WORK/build/dist/server/cli/main.js" ] || fail "no dist/server/cli/main.js after the build"
[ -f "$WORK/build/dist/portal/index.html" ] || fail "no dist/portal/index.html after the build"

# ---- runtime stage ------------------------------------------------------------------
mkdir -p "$WORK/app/examples/demo" "$WORK/etc-semgate" "$WORK/empty" "$WORK/var"
cp package.json package-lock.json "$WORK/app/"
log "runtime stage: npm ci --omit=dev"
(cd "$WORK/app" && NODE_ENV=production npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null) || fail "npm ci --omit=dev"
[ ! -e "$WORK/app/node_modules/typescript" ] || fail "a dev dependency (typescript) is in the runtime install"
cp -r "$WORK/build/dist" "$WORK/app/dist"
cp catalog.yaml sources.yaml api-keys.yaml "$WORK/app/"
cp examples/demo/init.sql "$WORK/app/examples/demo/"
rm -rf "$WORK/build"

# The mounted configuration: the demo's datasets and source, with a key of its own.
KEY="sk_smoke_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN="sk_smokeadmin_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
METRICS_TOKEN="mt_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$WORK/etc-semgate/examples/demo"
cp catalog.yaml sources.yaml "$WORK/etc-semgate/"
cp examples/demo/init.sql "$WORK/etc-semgate/examples/demo/"
printf 'api_keys:\n  - key_hash: "sha256:%s"\n    tenant: acme_corp\n    role: analyst\n  - key_hash: "sha256:%s"\n    role: admin\n' \
  "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)" "$(printf %s "$ADMIN" | sha256sum | cut -d' ' -f1)" > "$WORK/etc-semgate/api-keys.yaml"
chmod -R a+rX "$WORK" && chmod a+rwx "$WORK/var"

# The image's environment (Dockerfile ENV), the test's port.
run_env=(env -i PATH="$PATH" HOME="$WORK/var" NODE_ENV=production PORT="$PORT" SEMGATE_CONFIG_DIR="$WORK/etc-semgate"
  SEMGATE_AUDIT_SPOOL="$WORK/var/audit-spool.jsonl" SEMGATE_AUDIT_SINK=stdout SEMGATE_METRICS_TOKEN="$METRICS_TOKEN")
start() { # extra env...
  (cd "$WORK/app" && exec "${run_env[@]}" "$@" "${AS_USER[@]}" node dist/server/cli/main.js serve) >"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || fail "the server exited while starting"
    sleep 0.25
  done
  fail "no answer on /health within 30 s"
}
stop() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=
  [ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM (expected 0)"
}
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

log "runtime: node dist/server/cli/main.js serve on port $PORT"
start
if [ "${#AS_USER[@]}" -gt 0 ]; then
  [ "$(ps -o user= -p "$PID" | tr -d ' ')" = nobody ] || fail "the server does not run as the non-root user"
fi
(cd "$WORK/app" && PORT=$PORT node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))") \
  || fail "the HEALTHCHECK command failed"
body=$(curl -fs "http://127.0.0.1:$PORT/v1/query" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"dataset":"orders","dimensions":["region"],"metrics":["revenue"]}') || fail "the query with the mounted key failed"
echo "$body" | grep -q '"row_count":4' || fail "unexpected query answer: $body"
[ "$(status "http://127.0.0.1:$PORT/v1/datasets")" = 401 ] || fail "a request without a key was not refused with 401"
[ "$(status "http://127.0.0.1:$PORT/v1/datasets" -H 'Authorization: Bearer sk_demo_admin')" = 401 ] || fail "the demo admin key works on a mounted configuration"
[ "$(status "http://127.0.0.1:$PORT/metrics")" = 401 ] || fail "/metrics answered without a token"
[ "$(status "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $METRICS_TOKEN")" = 200 ] || fail "/metrics refused its token"
[ "$(status "http://127.0.0.1:$PORT/portal/")" = 200 ] || fail "the portal's page is not served"
grep -q '"action":"query"' "$WORK/serve.log" || fail "no audit line for the query"
stop

log "runtime: no configuration mounted"
rc=0
(cd "$WORK/app" && "${run_env[@]}" SEMGATE_CONFIG_DIR="$WORK/empty" "${AS_USER[@]}" timeout 60 node dist/server/cli/main.js serve) >"$WORK/out.log" 2>"$WORK/err.log" || rc=$?
[ "$rc" -ne 0 ] || fail "started without a configuration"
[ "$(wc -l <"$WORK/err.log")" -eq 1 ] || fail "the refusal is not one line: $(cat "$WORK/err.log")"
grep -q 'SEMGATE_DEMO=1' "$WORK/err.log" && grep -q "$WORK/empty" "$WORK/err.log" || fail "the refusal does not say what to mount: $(cat "$WORK/err.log")"
log "  refused (exit $rc): $(cat "$WORK/err.log")"

if [ "${#AS_USER[@]}" -gt 0 ]; then
  log "runtime: a configuration the user cannot read"
  cp -r "$WORK/etc-semgate" "$WORK/unreadable" && chmod 600 "$WORK/unreadable/catalog.yaml"
  rc=0
  (cd "$WORK/app" && "${run_env[@]}" SEMGATE_CONFIG_DIR="$WORK/unreadable" "${AS_USER[@]}" timeout 60 node dist/server/cli/main.js serve) >"$WORK/out.log" 2>"$WORK/err.log" || rc=$?
  [ "$rc" -ne 0 ] || fail "started with an unreadable configuration"
  [ "$(wc -l <"$WORK/err.log")" -eq 1 ] && grep -q 'cannot read' "$WORK/err.log" || fail "the unreadable configuration is not one clear line: $(cat "$WORK/err.log")"
  log "  refused (exit $rc): $(cat "$WORK/err.log")"
fi

log "runtime: SEMGATE_DEMO=1 without a configuration"
run_env+=(SEMGATE_CONFIG_DIR="$WORK/empty")
start SEMGATE_DEMO=1
[ "$(status "http://127.0.0.1:$PORT/v1/datasets" -H 'Authorization: Bearer sk_demo_acme')" = 200 ] || fail "SEMGATE_DEMO=1 does not serve the demo"
stop

log "ok in $((SECONDS - started)) s"
