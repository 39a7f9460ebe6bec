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
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The AWS SDK/CLI compatibility tests drive the cluster with boto3 and the AWS CLI.
if ! python3 -c "import boto3" >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
  echo "setup: installing boto3 and awscli from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check boto3 awscli
fi
