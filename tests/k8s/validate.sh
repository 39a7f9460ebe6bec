#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests in deploy/k8s: renders the base and every
# overlay (with kustomize or `kubectl kustomize` where installed, always also with
# tests/k8s/render.py, and requires the two to agree), validates every object against the
# Kubernetes API schemas in strict mode (kubernetes-validate, tests/k8s/requirements.txt),
# and checks what iamd needs of the deployment. No cluster, no network. Exit 1 on any error.
#
#   bash tests/k8s/validate.sh                      # what CI runs (tests/run.sh)
#   bash tests/k8s/validate.sh --renderer python    # as on a machine without kubectl
#   bash tests/k8s/validate.sh --check-requirements # exit 0 iff requirements.txt is installed
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 tests/k8s/validate.py "$@"
