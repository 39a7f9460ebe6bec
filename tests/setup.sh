#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test iamd. Idempotent and quiet when
# everything is present. Used by deploy/dev.sh, tests/run.sh and .ci/run.
set -euo pipefail

need_apt=()
# librocksdb-sys runs bindgen, which needs libclang.
# (libclang-cpp, which some images ship alone, is not what bindgen loads.)
if ! ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* >/dev/null 2>&1 \
  && ! ldconfig -p 2>/dev/null | grep -Eq 'libclang(-[0-9.]+)?\.so'; then
  need_apt+=(libclang-dev)
fi
# The compose deployment test (tests/compose/run.sh; it skips without a Docker engine) needs
# docker-compose, curl, and objcopy to strip the binaries into the image.
if command -v docker >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1 \
  && ! docker compose version >/dev/null 2>&1; then
  need_apt+=(docker-compose)
fi
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v objcopy >/dev/null 2>&1 || need_apt+=(binutils)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The AWS SDK/CLI compatibility tests drive the cluster with boto3 and the AWS CLI; the SSH
# key and signing certificate scripts make their keys and certificates with cryptography.
if ! python3 -c "import boto3, cryptography" >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "setup: installing boto3, awscli and cryptography from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check boto3 awscli cryptography
fi

# The Kubernetes manifests' offline validation (tests/k8s/validate.sh): API schemas and validator.
if ! python3 "$(dirname "$0")/k8s/validate.py" --check-requirements >/dev/null 2>&1; then
  echo "setup: installing kubernetes-validate from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check -r "$(dirname "$0")/k8s/requirements.txt"
fi
