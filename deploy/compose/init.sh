#!/usr/bin/env bash
# Creates the compose deployment's secrets in ./secrets (next to this script), once:
#   secret.key          the cluster secret key (64 hex digits), the same for every node
#   ca.pem, ca-key.pem  a CA (ca.pem: give it to clients; ca-key.pem: only to issue certs)
#   server.pem, server-key.pem
#                       the nodes' API/HTTP certificate, for iamd1, iamd2, iamd3, localhost,
#                       127.0.0.1 and the names in $IAMD_CERT_NAMES (comma separated)
# Existing files are never overwritten (delete one to make it again). The certificates are
# made by the image itself (`iamd cert`), so only docker is needed. Image: $IAMD_IMAGE, else
# iamd:local (deploy/image/build.sh).
#
# Permissions: secrets/ is 0700 (only you reach it on this host); the files the nodes read
# are 0644, because compose bind-mounts each file on its own at /run/secrets/<name>, where
# the node (uid 10001, not you) opens it without passing through secrets/; a 0600 file
# owned by you would be unreadable there. ca-key.pem stays 0600: no container reads it.
set -euo pipefail
cd "$(dirname "$0")"
image="${IAMD_IMAGE:-iamd:local}"
dir="$PWD/secrets"

umask 077
mkdir -p "$dir"
chmod 700 "$dir"

if [ ! -e "$dir/secret.key" ]; then
  key="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
  [ "${#key}" -eq 64 ] || { echo "init.sh: could not read 32 random bytes" >&2; exit 1; }
  printf '%s\n' "$key" >"$dir/secret.key.tmp"
  mv "$dir/secret.key.tmp" "$dir/secret.key"
  echo "init.sh: created secrets/secret.key" >&2
fi

need_ca=0 need_server=0
[ -e "$dir/ca.pem" ] || need_ca=1
[ -e "$dir/server.pem" ] && [ -e "$dir/server-key.pem" ] || need_server=1
if [ "$need_ca" = 1 ] && [ -e "$dir/ca-key.pem" ]; then
  echo "init.sh: secrets/ca-key.pem exists without secrets/ca.pem; restore ca.pem or delete ca-key.pem" >&2
  exit 1
fi
if [ "$need_server" = 1 ] && [ "$need_ca" = 0 ] && [ ! -e "$dir/ca-key.pem" ]; then
  echo "init.sh: secrets/server.pem or server-key.pem is missing and so is the CA key (secrets/ca-key.pem) to issue it" >&2
  exit 1
fi
if [ "$need_ca" = 1 ] || [ "$need_server" = 1 ]; then
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "init.sh: image $image not found; build it first: deploy/image/build.sh (or set IAMD_IMAGE)" >&2
    exit 1
  fi
  # As you, so the files are yours; the image has no shell, so `iamd cert` is the entrypoint.
  iamd_cert() {
    docker run --rm --user "$(id -u):$(id -g)" --network none -v "$dir:/out" "$image" cert "$@" >/dev/null
  }
  if [ "$need_ca" = 1 ]; then
    iamd_cert ca --out-dir /out
    echo "init.sh: created secrets/ca.pem and secrets/ca-key.pem" >&2
  fi
  if [ "$need_server" = 1 ]; then
    rm -f "$dir/server.pem" "$dir/server-key.pem"
    names="iamd1,iamd2,iamd3,localhost,127.0.0.1${IAMD_CERT_NAMES:+,$IAMD_CERT_NAMES}"
    iamd_cert issue --ca /out/ca.pem --ca-key /out/ca-key.pem --usage server \
      --name "$names" --out /out/server
    echo "init.sh: created secrets/server.pem and secrets/server-key.pem for $names" >&2
  fi
fi

chmod 0644 "$dir/secret.key" "$dir/ca.pem" "$dir/server.pem" "$dir/server-key.pem"
[ ! -e "$dir/ca-key.pem" ] || chmod 0600 "$dir/ca-key.pem"
echo "init.sh: secrets ready in $dir" >&2
