#!/usr/bin/env bash
# CI test of the container deployment (deploy/image, deploy/compose): builds the image from
# prebuilt binaries, starts the 3-node compose cluster in a scratch copy of deploy/compose
# (its own project name, secrets and free host ports; your deploy/compose/secrets is never
# touched) and checks: start-up to ready, replication through the AWS CLI, a killed node, a
# partitioned node (writes move to the majority; the minority refuses writes, linearizable
# reads and readiness), healing and convergence of the state hashes. Cleans up everything it
# made (containers, networks, volumes, secrets, the image) on exit.
#
#   bash tests/compose/run.sh
#
# IAMD_BIN_DIR     directory with iamd and iamctl (default ${CARGO_TARGET_DIR:-target}/debug);
#                  build them first: bash deploy/build.sh (cargo build --workspace --bins --tests)
# IAMD_TEST_IMAGE  tag of the image it builds (default iamd:compose-test-<pid>, removed at the
#                  end; a tag you give is kept)
# IAMD_TEST_PORT_BASE  host ports base, +1, +10, +11, +20, +21 (default: free ports)
# IAMD_TEST_READY_LIMIT  seconds from `up` to all three ready before failing (default 30)
#
# Exits 0 with SKIPPED when there is no Docker engine; needs docker-compose (or `docker
# compose`), curl, python3 and the AWS CLI (tests/setup.sh installs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

if ! docker info >/dev/null 2>&1; then
  echo "################################################################" >&2
  echo "### SKIPPED: tests/compose/run.sh: no Docker engine (docker info failed)" >&2
  echo "################################################################" >&2
  exit 0
fi

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "compose test: FAIL: neither docker-compose nor the docker compose plugin is installed" >&2
  exit 1
fi
for tool in curl python3 aws timeout; do
  command -v "$tool" >/dev/null || { echo "compose test: FAIL: $tool is missing (bash tests/setup.sh)" >&2; exit 1; }
done

bin_dir="${IAMD_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}"
[ -x "$bin_dir/iamd" ] && [ -x "$bin_dir/iamctl" ] || {
  echo "compose test: FAIL: no iamd/iamctl in $bin_dir (cargo build --workspace --bins --tests, or set IAMD_BIN_DIR)" >&2
  exit 1
}
bin_dir="$(cd "$bin_dir" && pwd)"
iamctl_bin="$bin_dir/iamctl"

proj="iamdtest$$"
image="${IAMD_TEST_IMAGE:-iamd:compose-test-$$}"
own_image=1   # remove the image at the end only if the tag is this run's own
[ -z "${IAMD_TEST_IMAGE:-}" ] || own_image=0
work="$(mktemp -d "${TMPDIR:-/tmp}/iamd-compose-test.XXXXXX")"
cp deploy/compose/docker-compose.yml deploy/compose/init.sh "$work/"
ca="$work/secrets/ca.pem"
creds="$work/root-credentials"

# Host ports: a fixed base, or six free ones.
if [ -n "${IAMD_TEST_PORT_BASE:-}" ]; then
  b="$IAMD_TEST_PORT_BASE"
  ports=("$b" "$((b + 1))" "$((b + 10))" "$((b + 11))" "$((b + 20))" "$((b + 21))")
else
  read -r -a ports < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
fi
api=("" "${ports[0]}" "${ports[2]}" "${ports[4]}")
http=("" "${ports[1]}" "${ports[3]}" "${ports[5]}")

# The compose file's variables: only these (nothing from the caller's environment).
unset IAMD_ALLOWED_HOSTS IAMD_CERT_NAMES
export IAMD_IMAGE="$image" IAMD_BIND_ADDR=127.0.0.1
export IAMD_PORT_1_API="${api[1]}" IAMD_PORT_1_HTTP="${http[1]}"
export IAMD_PORT_2_API="${api[2]}" IAMD_PORT_2_HTTP="${http[2]}"
export IAMD_PORT_3_API="${api[3]}" IAMD_PORT_3_HTTP="${http[3]}"

dc() { timeout 180 "${compose[@]}" -p "$proj" -f "$work/docker-compose.yml" "$@"; }

built=0
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ]; then
    echo "compose test: FAILED (exit $rc); the last 50 log lines of each node:" >&2
    dc logs --no-color --tail 50 >&2
  fi
  dc --profile tools down -v --remove-orphans -t 5 >/dev/null 2>&1 || dc down -v --remove-orphans -t 5 >/dev/null 2>&1
  [ "$built" = 0 ] || [ "$own_image" = 0 ] || docker rmi "$image" >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms() { local t="${EPOCHREALTIME//[.,]/}"; echo $((t / 1000)); }
secs() { awk -v m="$1" 'BEGIN { printf "%.1f s", m / 1000 }'; }
step() { echo "== $*" >&2; }
fail() { echo "compose test: FAIL: $*" >&2; exit 1; }
t_start="$(ms)"

# Runs "$@" every 0.5 s until it succeeds, at most $1 seconds; sets waited_ms. Each attempt
# must be bounded itself (curl --max-time, timeout ...).
waited_ms=0
wait_for() {
  local limit="$1" what="$2" start now
  shift 2
  start="$(ms)"
  while :; do
    if "$@"; then
      waited_ms=$(($(ms) - start))
      return 0
    fi
    now="$(ms)"
    [ $((now - start)) -lt $((limit * 1000)) ] || fail "$what: not within ${limit} s"
    sleep 0.5
  done
}

# HTTP status of node $1's /readyz ("000" when it does not answer). A node that cannot reach
# a quorum takes its 2 s check timeout to answer 503, hence --max-time 5.
readyz() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$ca" \
    "https://127.0.0.1:${http[$1]}/readyz" 2>/dev/null || true
}
ready() { [ "$(readyz "$1")" = 200 ]; }
all_ready() { ready 1 && ready 2 && ready 3; }
not_ready() { [ "$(readyz "$1")" = 503 ]; }

# The AWS CLI against node $1's HTTP port, as the operator's root, one attempt per call.
aws_node() {
  local n="$1"
  shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    AWS_SHARED_CREDENTIALS_FILE="$creds" AWS_CONFIG_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1 \
    AWS_CA_BUNDLE="$ca" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard \
    timeout 15 aws --endpoint-url "https://127.0.0.1:${http[$n]}" \
    --cli-connect-timeout 3 --cli-read-timeout 8 "$@"
}
# Creates user $2 through node $1; one that already exists counts (an earlier attempt that
# timed out may have been applied).
create_user() {
  local out
  if out="$(aws_node "$1" iam create-user --user-name "$2" 2>&1)"; then return 0; fi
  grep -q EntityAlreadyExists <<<"$out" && return 0
  echo "   node $1: create-user $2: $(tail -n 1 <<<"$out")" >&2
  return 1
}
get_user() { aws_node "$1" iam get-user --user-name "$2" >/dev/null 2>&1; }
# Creates user $1 through whichever of nodes 2 and 3 takes it.
create_user_majority() { create_user 2 "$1" || create_user 3 "$1"; }

# The host's iamctl against node $1 only.
iamctl_node() {
  local n="$1"
  shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    -u IAMCTL_ENDPOINTS -u IAMCTL_CONFIG -u IAMCTL_ACCOUNT \
    AWS_SHARED_CREDENTIALS_FILE="$creds" \
    timeout 30 "$iamctl_bin" --endpoints "https://127.0.0.1:${api[$n]}" --ca-bundle "$ca" "$@"
}

# iamctl inside the clients network (the compose file's `iamctl` service): `cluster hash`
# dials the members' advertised addresses, iamdN:7100, which only resolve there.
converged() {
  local out
  out="$(dc --profile tools run --rm -T --no-deps iamctl cluster hash -o json 2>/dev/null)" || return 1
  python3 -c '
import json, sys
nodes = json.loads(sys.argv[1])["nodes"]
ok = len(nodes) == 3 and all("error" not in n for n in nodes) \
    and len({(n["applied_index"], n["state_hash"]) for n in nodes}) == 1
print("   " + ", ".join("%s@%s" % (n.get("api"), n.get("applied_index", "-")) for n in nodes), file=sys.stderr)
sys.exit(0 if ok else 1)' "$out"
}

cid() { dc ps -q "$1"; }

# a. image
step "a. build the image $image from $bin_dir"
IMAGE="$image" bash deploy/image/build.sh --bin-dir "$bin_dir" >&2
built=1

# b. secrets
step "b. init secrets"
IAMD_IMAGE="$image" bash "$work/init.sh"

# c. start
step "c. docker-compose up -d (project $proj, HTTP ports ${http[1]} ${http[2]} ${http[3]})"
t0="$(ms)"
dc up -d >&2
ready_limit="${IAMD_TEST_READY_LIMIT:-30}"
wait_for "$ready_limit" "all three /readyz answering 200 after up" all_ready
ready_ms=$(($(ms) - t0))
echo "   all three nodes ready $(secs "$ready_ms") after up" >&2

# d. root credentials
step "d. root credentials from iamd1"
c1="$(cid iamd1)" c2="$(cid iamd2)" c3="$(cid iamd3)"
[ -n "$c1" ] && [ -n "$c2" ] && [ -n "$c3" ] || fail "docker-compose ps found no containers"
uid="$(docker top "$c1" -o pid,uid | awk 'NR == 2 { print $2 }')" || true
[ "$uid" = 10001 ] || fail "iamd runs as uid '$uid' in its container, not 10001"
fetch_creds() { docker cp "$c1:/var/lib/iamd/root-credentials" "$creds" >/dev/null 2>&1; }
wait_for 20 "root credentials in iamd1:/var/lib/iamd/root-credentials" fetch_creds
grep -q aws_access_key_id "$creds" || fail "root-credentials has no access key"

# e. replication
step "e. write through iamd1, read through iamd2"
create_user 1 compose-alice || fail "create-user through iamd1"
wait_for 10 "compose-alice visible through iamd2" get_user 2 compose-alice
replicate_ms="$waited_ms"
iamctl_node 1 --consistency linearizable --timeout 5 user list >/dev/null ||
  fail "host iamctl against iamd1 (before any fault)"

# f. a killed node
step "f. kill iamd3: writes through iamd1 and iamd2"
docker kill "$c3" >/dev/null
stopped() { [ "$(docker inspect -f '{{.State.Running}}' "$c3")" = false ]; }
wait_for 10 "iamd3 stopped after docker kill" stopped
[ "$(readyz 3)" = 000 ] || fail "iamd3's HTTP port answers after docker kill"
wait_for 15 "a write through iamd1 with iamd3 down" create_user 1 compose-bob
wait_for 15 "a write through iamd2 with iamd3 down" create_user 2 compose-carol
killed_ms="$waited_ms"
docker start "$c3" >/dev/null
wait_for 30 "iamd3 ready after docker start" ready 3
restart_ms="$waited_ms"
echo "   iamd3 ready $(secs "$restart_ms") after docker start" >&2

# g. partition iamd1 from the peers
step "g. disconnect iamd1 from ${proj}_peers"
docker network disconnect "${proj}_peers" "$c1"
wait_for 15 "a write through iamd2 or iamd3 with iamd1 partitioned" create_user_majority compose-dave
failover_ms="$waited_ms"
echo "   majority took a write $(secs "$failover_ms") after the partition" >&2
if iamctl_node 1 --consistency linearizable --timeout 5 user list >/dev/null 2>&1; then
  fail "partitioned iamd1 answered a linearizable read"
fi
if iamctl_node 1 --timeout 5 user create compose-minority >/dev/null 2>&1; then
  fail "partitioned iamd1 accepted a write"
fi
wait_for 15 "partitioned iamd1's /readyz answering 503" not_ready 1
echo "   iamd1 refuses writes and linearizable reads; /readyz 503" >&2

# h. heal
step "h. reconnect iamd1"
t0="$(ms)"
docker network connect --alias iamd1-peer "${proj}_peers" "$c1"
wait_for 30 "all three /readyz answering 200 after the partition healed" all_ready
heal_ms=$(($(ms) - t0))
get_user 1 compose-dave || wait_for 10 "compose-dave visible through iamd1 after healing" get_user 1 compose-dave

# i. convergence
step "i. state hashes converge"
t0="$(ms)"
wait_for 30 "the same state hash at the same applied index on every node" converged
converge_ms=$(($(ms) - t0))

total_ms=$(($(ms) - t_start))
cat >&2 <<EOF
compose test: PASS
  ready after up (3 nodes)            $(secs "$ready_ms")
  write on iamd1 visible on iamd2     $(secs "$replicate_ms")
  write with iamd3 killed             $(secs "$killed_ms")
  iamd3 ready after restart           $(secs "$restart_ms")
  majority write after partition      $(secs "$failover_ms")
  all ready after healing             $(secs "$heal_ms")
  state hashes converged              $(secs "$converge_ms")
  total (with image build)            $(secs "$total_ms")
EOF
