#!/usr/bin/env python3
"""Offline validation of the Kubernetes manifests in deploy/k8s (run by tests/k8s/validate.sh).

For the base and every overlay under deploy/k8s/overlays it
  1. renders the kustomization: with a real kustomize when one is on PATH (`kustomize build`
     or `kubectl kustomize`) AND with tests/k8s/render.py, and requires both to give the
     same objects; with render.py alone where no kustomize is installed;
  2. validates every object against the Kubernetes OpenAPI schemas of each Kubernetes minor
     version from MIN_K8S to the newest that kubernetes-validate bundles, in strict mode
     (an unknown field is an error);
  3. checks what iamd needs of the deployment (see `check_rendering`), reading iamd's own
     flag and config-file definitions from crates/iam-server/src so that a renamed setting
     fails here instead of in a cluster.
It also checks deploy/k8s/secret.example.yaml (schema, and the keys the pods mount), and that
every kustomization.yaml keeps to the fields render.py implements. Exit 1 on any error.

  python3 tests/k8s/validate.py                       # everything
  python3 tests/k8s/validate.py --renderer python     # render.py alone (as without kustomize)
  python3 tests/k8s/validate.py --check-requirements  # exit 0 iff requirements.txt is installed
"""

from __future__ import annotations

import argparse
import collections
import copy
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
K8S = os.path.join(ROOT, "deploy", "k8s")
SECRET_EXAMPLE = os.path.join(K8S, "secret.example.yaml")
CLI_RS = os.path.join(ROOT, "crates", "iam-server", "src", "cli.rs")
CONFIG_RS = os.path.join(ROOT, "crates", "iam-server", "src", "config.rs")
REQUIREMENTS = os.path.join(HERE, "requirements.txt")

# The oldest Kubernetes release the manifests support (its schemas are checked too).
MIN_K8S = (1, 29)
# What the pods are and how they are reached.
APP_LABELS = {"app.kubernetes.io/name": "iamd"}
PORTS = {"api": 7100, "http": 7101, "peer": 7102}
UID = 10001
# Environment variables iamd reads that are not `serve` flags.
EXTRA_IAMD_ENV = {"IAMD_SECRET_KEY"}
# The Secret the operator creates (never part of a rendering) and the keys the pods use.
OPERATOR_SECRETS = {"iamd-secrets": {"secret.key", "tls.crt", "tls.key", "ca.crt"}}
OPTIONAL_SECRETS = {"iamd-admin"}
CLUSTER_DOMAIN = "svc.cluster.local"


# --------------------------------------------------------------------------------------
# Requirements


def pinned_requirements() -> dict[str, str]:
    pins = {}
    with open(REQUIREMENTS, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, sep, version = line.partition("==")
                if not sep:
                    raise SystemExit(f"{REQUIREMENTS}: {line!r} is not pinned with ==")
                pins[name.strip()] = version.strip()
    return pins


def requirement_problems() -> list[str]:
    problems = []
    for name, want in pinned_requirements().items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed")
            continue
        if have != want:
            problems.append(f"{name} {have} is installed, {want} is pinned")
    return problems


# --------------------------------------------------------------------------------------
# Rendering


def find_kustomize() -> tuple[list[str], str] | None:
    """The command prefix of a real kustomize and its description, or None."""
    if shutil.which("kustomize"):
        out = run(["kustomize", "version"])
        if out is not None:
            return ["kustomize", "build"], f"kustomize {out.strip()}"
    if shutil.which("kubectl"):
        out = run(["kubectl", "version", "--client", "-o", "json"])
        if out is not None:
            try:
                v = json.loads(out)
                desc = (f"kubectl {v['clientVersion']['gitVersion']} "
                        f"(kustomize {v.get('kustomizeVersion', '?')})")
            except (ValueError, KeyError):
                desc = "kubectl"
            return ["kubectl", "kustomize"], desc
    return None


def run(cmd: list[str]) -> str | None:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "KUBECONFIG": os.devnull})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout if p.returncode == 0 else None


def render_with_kustomize(prefix: list[str], directory: str) -> list[dict]:
    p = subprocess.run(prefix + [directory], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "KUBECONFIG": os.devnull})
    if p.returncode != 0:
        raise render.RenderError(f"{' '.join(prefix)} {rel(directory)} failed:\n{p.stderr.strip()}")
    return [d for d in yaml.safe_load_all(p.stdout) if d is not None]


def object_key(obj: dict) -> tuple:
    return (obj.get("apiVersion"), obj.get("kind"), obj["metadata"].get("namespace"),
            obj["metadata"].get("name"))


def first_difference(a, b, path="") -> str:
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'kustomize' if k in a else 'render.py'}"
            d = first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} elements"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}/{i}")
            if d:
                return d
        return ""
    return "" if a == b else f"{path}: {a!r} (kustomize) vs {b!r} (render.py)"


def compare_renderings(real: list[dict], ours: list[dict]) -> list[str]:
    errors = []
    a = {object_key(o): o for o in real}
    b = {object_key(o): o for o in ours}
    for key in sorted(set(a) | set(b), key=str):
        if key not in b:
            errors.append(f"render.py lacks {key[1]}/{key[3]} that kustomize renders")
        elif key not in a:
            errors.append(f"render.py renders {key[1]}/{key[3]} that kustomize does not")
        else:
            d = first_difference(a[key], b[key])
            if d:
                errors.append(f"render.py differs from kustomize in {key[1]}/{key[3]} at {d}")
    return errors


# --------------------------------------------------------------------------------------
# Schemas


class Schemas:
    """kubernetes-validate's strict JSON schemas, one registry per Kubernetes version."""

    def __init__(self):
        from kubernetes_validate import utils
        self.utils = utils
        self.versions = sorted({v for v in utils.all_versions()
                                if tuple(int(x) for x in utils.major_minor(v).split(".")) >= MIN_K8S},
                               key=lambda v: tuple(int(x) for x in v.split(".")))
        if not self.versions:
            raise SystemExit(f"kubernetes-validate bundles no schemas for Kubernetes "
                             f"{'.'.join(map(str, MIN_K8S))} or later")
        self._registries = {}
        self._validators = {}

    def label(self) -> str:
        mm = self.utils.major_minor
        return f"{mm(self.versions[0])}…{mm(self.versions[-1])}"

    def _registry(self, version: str):
        if version not in self._registries:
            from referencing import Registry, Resource
            defs = self.utils.schema_contents(
                f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", version)
            self._registries[version] = Resource.from_contents(defs) @ Registry()
        return self._registries[version]

    def validator(self, version: str, obj: dict):
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
        name = f"{obj['kind'].lower()}-{api}"
        key = (version, name)
        if key not in self._validators:
            import jsonschema
            from referencing import Resource
            try:
                schema = self.utils.schema_contents(
                    f"kubernetes-json-schema/v{version}-local-strict/{name}.json", version)
            except FileNotFoundError:
                self._validators[key] = None
            else:
                registry = Resource.from_contents(schema) @ self._registry(version)
                self._validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self._validators[key]

    def errors(self, obj: dict, newest_only: bool = False) -> list[str]:
        """Every schema violation of `obj`, for each version (the same message once)."""
        found: dict[str, list[str]] = collections.OrderedDict()
        for version in self.versions[-1:] if newest_only else self.versions:
            mm = self.utils.major_minor(version)
            v = self.validator(version, obj)
            if v is None:
                found.setdefault(f"no schema for {obj['apiVersion']} {obj['kind']}", []).append(mm)
                continue
            for e in sorted(v.iter_errors(obj), key=lambda e: list(e.absolute_path)):
                where = "/" + "/".join(str(p) for p in e.absolute_path)
                found.setdefault(f"{where}: {e.message}", []).append(mm)
        every = [self.utils.major_minor(v) for v in (self.versions[-1:] if newest_only else self.versions)]
        return [f"{msg} (Kubernetes {'every version' if vs == every else ', '.join(vs)})"
                for msg, vs in found.items()]


# --------------------------------------------------------------------------------------
# iamd's own definitions


def iamd_settings() -> tuple[set[str], set[str]]:
    """(IAMD_* variables `iamd serve` reads, keys its TOML config file accepts)."""
    try:
        with open(CLI_RS, encoding="utf-8") as f:
            cli = f.read()
        with open(CONFIG_RS, encoding="utf-8") as f:
            config = f.read()
    except OSError as e:
        raise SystemExit(f"cannot read iamd's settings: {e}")
    serve = re.search(r"pub struct ServeArgs \{(.*?)\n\}", cli, re.S)
    file = re.search(r"struct FileConfig \{(.*?)\n\}", config, re.S)
    if not serve or not file:
        raise SystemExit(f"cannot find `struct ServeArgs` in {rel(CLI_RS)} or `struct FileConfig` "
                         f"in {rel(CONFIG_RS)}: update iamd_settings() in {rel(__file__)}")
    env = set(re.findall(r'env\s*=\s*"(IAMD_[A-Z0-9_]+)"', serve.group(1))) | EXTRA_IAMD_ENV
    keys = set(re.findall(r"^\s*(?:pub\s+)?([a-z_][a-z0-9_]*)\s*:", file.group(1), re.M))
    if "IAMD_CONFIG" not in env or "node_id" not in keys:
        raise SystemExit(f"iamd's settings in {rel(CLI_RS)} / {rel(CONFIG_RS)} did not parse: "
                         f"update iamd_settings() in {rel(__file__)}")
    return env, keys


# --------------------------------------------------------------------------------------
# What iamd needs of the deployment


def selects(selector: dict | None, labels: dict | None) -> bool:
    if not selector:
        return False
    return all((labels or {}).get(k) == v for k, v in selector.items())


def env_key(name: str) -> str:
    """IAMD_PEER_ADVERTISE -> peer_advertise."""
    return name[len("IAMD_"):].lower()


def under(path: str, mount: str) -> bool:
    return path == mount or path.startswith(mount.rstrip("/") + "/")


def check_rendering(name: str, objects: list[dict], iamd_env: set[str],
                    file_keys: set[str]) -> list[str]:
    """What iamd needs of the deployment; a malformed object (the schemas say how) is an
    error too, not a crash."""
    try:
        return _check_rendering(objects, iamd_env, file_keys)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as e:
        return [f"cannot check the rendering ({type(e).__name__}: {e}): malformed objects?"]


def _check_rendering(objects: list[dict], iamd_env: set[str], file_keys: set[str]) -> list[str]:
    errors: list[str] = []

    def err(msg: str) -> None:
        errors.append(msg)

    by_kind = collections.defaultdict(list)
    for o in objects:
        by_kind[o["kind"]].append(o)

    sts_list = [o for o in by_kind["StatefulSet"] if o["metadata"]["name"] == "iamd"]
    if len(sts_list) != 1:
        return [f"expected one StatefulSet named iamd, found {len(sts_list)}"]
    sts = sts_list[0]
    spec = sts["spec"]
    replicas = spec.get("replicas", 1)
    pod = spec["template"]
    pod_labels = pod["metadata"].get("labels") or {}
    pspec = pod["spec"]

    # --- StatefulSet
    if spec.get("podManagementPolicy") != "Parallel":
        err("StatefulSet iamd: podManagementPolicy must be Parallel (with OrderedReady, iamd-1 "
            "waits for iamd-0 to be ready, which needs a majority of the pods running)")
    if replicas < 3:
        err(f"StatefulSet iamd: {replicas} replicas; a cluster that survives a node's loss needs 3")
    if not selects(APP_LABELS, pod_labels) or spec["selector"].get("matchLabels") != APP_LABELS:
        err(f"StatefulSet iamd: the selector and the pod labels must be {APP_LABELS}")
    strategy = spec.get("updateStrategy", {}).get("type", "RollingUpdate")
    if strategy != "RollingUpdate":
        err("StatefulSet iamd: updateStrategy must be RollingUpdate (one pod at a time)")
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    if retention.get("whenScaled") != "Delete":
        err("StatefulSet iamd: persistentVolumeClaimRetentionPolicy.whenScaled must be Delete "
            "(a member removed by a scale-down must not come back with its old data)")
    if retention.get("whenDeleted", "Retain") != "Retain":
        err("StatefulSet iamd: persistentVolumeClaimRetentionPolicy.whenDeleted must be Retain")
    grace = pspec.get("terminationGracePeriodSeconds", 30)
    if not 15 <= grace <= 120:
        err(f"StatefulSet iamd: terminationGracePeriodSeconds {grace}: iamd drains for about 5 s "
            f"on SIGTERM; give it 15-120 (30 recommended)")
    if pspec.get("enableServiceLinks", True):
        err("StatefulSet iamd: enableServiceLinks must be false (the Service iamd would put "
            "IAMD_SERVICE_HOST, IAMD_PORT, ... into iamd's IAMD_ environment)")
    anti = (((pspec.get("affinity") or {}).get("podAntiAffinity") or {}))
    terms = [t.get("podAffinityTerm", {}) for t in
             anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
    terms += anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
    if not any(t.get("topologyKey") == "kubernetes.io/hostname"
               and selects((t.get("labelSelector") or {}).get("matchLabels"), pod_labels)
               for t in terms):
        err("StatefulSet iamd: no podAntiAffinity on kubernetes.io/hostname selecting the iamd pods")

    containers = pspec.get("containers") or []
    iamd = [c for c in containers if c["name"] == "iamd"]
    if len(iamd) != 1:
        return errors + ["StatefulSet iamd: expected one container named iamd"]
    c = iamd[0]

    # --- security context
    psc = pspec.get("securityContext") or {}
    csc = c.get("securityContext") or {}

    def eff(key):
        return csc.get(key, psc.get(key))

    if eff("runAsNonRoot") is not True:
        err("container iamd: runAsNonRoot must be true")
    if eff("runAsUser") != UID or eff("runAsGroup") != UID:
        err(f"container iamd: runAsUser and runAsGroup must be {UID} (the image's iamd user)")
    if psc.get("fsGroup") != UID:
        err(f"pod: fsGroup must be {UID} (the data volume writable, the Secret's files readable)")
    if (eff("seccompProfile") or {}).get("type") != "RuntimeDefault":
        err("container iamd: seccompProfile must be RuntimeDefault")
    if csc.get("allowPrivilegeEscalation") is not False:
        err("container iamd: allowPrivilegeEscalation must be false")
    if csc.get("readOnlyRootFilesystem") is not True:
        err("container iamd: readOnlyRootFilesystem must be true")
    if csc.get("privileged"):
        err("container iamd: must not be privileged")
    caps = csc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
        err("container iamd: capabilities must drop ALL and add none")

    # --- resources
    for cont in pspec.get("initContainers", []) + containers:
        res = cont.get("resources") or {}
        req = res.get("requests") or {}
        if "cpu" not in req or "memory" not in req:
            err(f"container {cont['name']}: resources.requests needs cpu and memory")
        if "memory" not in (res.get("limits") or {}):
            err(f"container {cont['name']}: resources.limits needs memory")

    # --- ports
    cports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
    by_number = {v: k for k, v in cports.items()}
    for what, number in PORTS.items():
        if number not in by_number:
            err(f"container iamd: no containerPort {number} ({what})")

    def resolve_port(port) -> int | None:
        return cports.get(port) if isinstance(port, str) else port

    # --- probes
    probe = c.get("readinessProbe") or {}
    get = probe.get("httpGet") or {}
    if get.get("path") != "/readyz" or resolve_port(get.get("port")) != PORTS["http"]:
        err(f"container iamd: readinessProbe must be httpGet /readyz on port {PORTS['http']}")
    live = c.get("livenessProbe")
    if live is not None:
        lget = live.get("httpGet") or {}
        if lget.get("path") != "/livez" or resolve_port(lget.get("port")) != PORTS["http"]:
            err("container iamd: a livenessProbe may only be httpGet /livez (never /readyz: a "
                "node that cannot reach a leader is not helped by a restart)")
    start = c.get("startupProbe")
    if start is not None:
        if live is None:
            err("container iamd: a startupProbe without a livenessProbe only delays readiness")
        sget = start.get("httpGet") or {}
        if sget.get("path") != "/livez":
            err("container iamd: the startupProbe must be httpGet /livez")

    # --- volumes and mounts
    volumes = {v["name"]: v for v in pspec.get("volumes") or []}
    claims = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []}
    mounts = {}
    for m in c.get("volumeMounts") or []:
        if m["name"] not in volumes and m["name"] not in claims:
            err(f"container iamd: volumeMount {m['name']} names no volume or volumeClaimTemplate")
        mounts[m["mountPath"]] = m

    def mount_of(path: str):
        best = None
        for mp, m in mounts.items():
            if under(path, mp) and (best is None or len(mp) > len(best["mountPath"])):
                best = m
        return best

    def secret_file(path: str, what: str) -> None:
        m = mount_of(path)
        vol = volumes.get(m["name"]) if m else None
        if not vol or "secret" not in vol:
            err(f"{what} {path} is not in a mounted Secret")
            return
        sec = vol["secret"]
        rest = path[len(m["mountPath"]):].lstrip("/")
        if sec.get("optional"):
            err(f"{what} {path}: the Secret {sec.get('secretName')} must not be optional")
        keys = OPERATOR_SECRETS.get(sec.get("secretName"))
        if keys is None:
            err(f"{what} {path}: Secret {sec.get('secretName')} is not one the operator is told "
                f"to create ({', '.join(OPERATOR_SECRETS)})")
            return
        items = {i["path"]: i["key"] for i in sec.get("items") or []}
        key = items.get(rest, rest if not items else None)
        if key not in keys:
            err(f"{what} {path}: key {key!r} is not one of the Secret's ({', '.join(sorted(keys))})")

    # --- environment and effective configuration
    env = c.get("env") or []
    defined: list[str] = []
    env_values: dict[str, str] = {}
    for e in env:
        n = e["name"]
        if "value" in e:
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", e["value"]):
                if ref not in defined:
                    err(f"env {n}: $({ref}) is not defined earlier in the list (Kubernetes "
                        f"would leave it unexpanded)")
            env_values[n] = e["value"]
        if n.startswith("IAMD_") and n not in iamd_env:
            err(f"env {n} is not a variable `iamd serve` reads ({rel(CLI_RS)})")
        defined.append(n)
    field_refs = {e["name"]: ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
                  for e in env}
    if field_refs.get("POD_NAME") != "metadata.name":
        err("env POD_NAME must come from the downward API (fieldRef metadata.name)")
    if field_refs.get("POD_NAMESPACE") != "metadata.namespace":
        err("env POD_NAMESPACE must come from the downward API (fieldRef metadata.namespace)")
    for e in env:
        if e["name"] == "IAMD_SECRET_KEY" and "secretKeyRef" not in (e.get("valueFrom") or {}):
            err("env IAMD_SECRET_KEY must come from a Secret (valueFrom.secretKeyRef), never a literal")

    config: dict = {}
    config_path = env_values.get("IAMD_CONFIG")
    if config_path:
        m = mount_of(config_path)
        vol = volumes.get(m["name"]) if m else None
        cm_name = ((vol or {}).get("configMap") or {}).get("name")
        cms = [o for o in by_kind["ConfigMap"] if o["metadata"]["name"] == cm_name]
        key = config_path[len(m["mountPath"]):].lstrip("/") if m else None
        if not cms or key not in (cms[0].get("data") or {}):
            err(f"IAMD_CONFIG {config_path} is not a key of a ConfigMap of this rendering mounted there")
        else:
            try:
                config = tomllib.loads(cms[0]["data"][key])
            except tomllib.TOMLDecodeError as e:
                err(f"ConfigMap {cm_name} {key}: not valid TOML: {e}")
            for k in sorted(set(config) - file_keys):
                err(f"ConfigMap {cm_name} {key}: {k!r} is not a key iamd's config file accepts "
                    f"(struct FileConfig in {rel(CONFIG_RS)}; unknown keys are an error there)")
    for n in env_values:
        if n.startswith("IAMD_") and n != "IAMD_CONFIG" and env_key(n) in config:
            err(f"{env_key(n)} is set both in the config file and as {n} (the variable silently wins)")

    eff_cfg = dict(config)
    for n, v in env_values.items():
        if n.startswith("IAMD_") and n != "IAMD_CONFIG":
            k = env_key(n)
            eff_cfg[k] = v.split(",") if k in ("join", "allowed_hosts", "peer_allowed_names") else v

    def truthy(v) -> bool:
        return v is True or (isinstance(v, str) and v.lower() == "true")

    if str(eff_cfg.get("node_id")) != "auto":
        err(f"node_id must be auto (one pod template for every ordinal), not {eff_cfg.get('node_id')!r}")
    if not truthy(eff_cfg.get("bootstrap")):
        err("bootstrap must be true: with the --join seeds, the pod advertising the first seed "
            "creates the cluster and the others join")
    for flag in ("sandbox", "insecure_plaintext", "sandbox_allow_remote"):
        if truthy(eff_cfg.get(flag)):
            err(f"{flag} must not be set in a deployment")

    # listen addresses
    for what in PORTS:
        addr = str(eff_cfg.get(f"{what}_listen", ""))
        host, _, port = addr.rpartition(":")
        if host not in ("0.0.0.0", "[::]"):
            err(f"{what}_listen {addr!r} must listen on all interfaces (0.0.0.0 or [::])")
        if port != str(PORTS[what]):
            err(f"{what}_listen {addr!r} must use port {PORTS[what]} (the containerPort)")

    # data dir on the claim, below its root
    data_dir = str(eff_cfg.get("data_dir", ""))
    m = mount_of(data_dir) if data_dir else None
    if not m or m["name"] not in claims:
        err(f"data_dir {data_dir!r} is not on a volumeClaimTemplate's volume")
    elif data_dir.rstrip("/") == m["mountPath"].rstrip("/"):
        err(f"data_dir {data_dir!r} must be a directory below the volume's root {m['mountPath']} "
            f"(the root is root's and may hold lost+found; iamd creates its own 0700)")
    elif m.get("readOnly"):
        err(f"data_dir {data_dir!r} is on a read-only mount")
    if "/tmp" not in mounts:
        err("no volume at /tmp (the root filesystem is read-only)")

    # secrets
    if "secret_key_file" in eff_cfg:
        secret_file(str(eff_cfg["secret_key_file"]), "secret_key_file")
    elif not any(e["name"] == "IAMD_SECRET_KEY" for e in env):
        err("the cluster secret key must come from a Secret (secret_key_file in a mounted "
            "Secret, or IAMD_SECRET_KEY from a secretKeyRef); without it every pod needs a "
            "key iamd will not create when --join is given")
    if "tls_cert" not in eff_cfg or "tls_key" not in eff_cfg:
        err("tls_cert and tls_key must be set (the API and HTTP ports need TLS off loopback)")
    else:
        secret_file(str(eff_cfg["tls_cert"]), "tls_cert")
        secret_file(str(eff_cfg["tls_key"]), "tls_key")
        if get.get("scheme") != "HTTPS":
            err("readinessProbe must use scheme HTTPS (the HTTP port serves TLS)")
    for vname, vol in volumes.items():
        sec = vol.get("secret")
        if sec:
            sname = sec.get("secretName")
            if sname not in OPERATOR_SECRETS and sname not in OPTIONAL_SECRETS:
                err(f"volume {vname}: Secret {sname} is not one the README tells the operator to create")
            if sname in OPTIONAL_SECRETS and not sec.get("optional"):
                err(f"volume {vname}: Secret {sname} must be optional: true")
            mode = sec.get("defaultMode", 0o644)
            if mode & 0o007:
                err(f"volume {vname}: defaultMode {mode:o} lets others read the Secret's files")
    for o in by_kind["Secret"]:
        if o["metadata"]["name"] in OPERATOR_SECRETS or o["metadata"]["name"] in OPTIONAL_SECRETS:
            err(f"Secret {o['metadata']['name']} is part of the rendering: the operator creates "
                f"it (deploy/k8s/secret.example.yaml only shows its shape)")

    # --- Services
    svc_name = spec.get("serviceName")
    services = {o["metadata"]["name"]: o for o in by_kind["Service"]}
    peer_svc = services.get(svc_name)
    if peer_svc is None:
        err(f"StatefulSet iamd: serviceName {svc_name!r} names no Service of this rendering")
    else:
        ps = peer_svc["spec"]
        if ps.get("clusterIP") != "None":
            err(f"Service {svc_name}: must be headless (clusterIP: None): pods are reached by "
                f"their own DNS names")
        if ps.get("publishNotReadyAddresses") is not True:
            err(f"Service {svc_name}: publishNotReadyAddresses must be true (a node needs its "
                f"peers' DNS names before any of them can be ready)")
        if not selects(ps.get("selector"), pod_labels):
            err(f"Service {svc_name}: its selector does not select the iamd pods")
        if not any(p["port"] == PORTS["peer"]
                   and resolve_port(p.get("targetPort", p["port"])) == PORTS["peer"]
                   for p in ps.get("ports") or []):
            err(f"Service {svc_name}: no port {PORTS['peer']} to the pods' peer port")

    clients = [s for n, s in services.items() if n != svc_name and selects(s["spec"].get("selector"), pod_labels)]
    if not clients:
        err("no client Service selects the iamd pods")
    for s in clients:
        n = s["metadata"]["name"]
        targets = {resolve_port(p.get("targetPort", p["port"])) for p in s["spec"].get("ports") or []}
        exposed = {p["port"] for p in s["spec"].get("ports") or []}
        if PORTS["peer"] in targets or PORTS["peer"] in exposed:
            err(f"Service {n}: exposes the peer port {PORTS['peer']} (Raft stays between the pods)")
        for what in ("api", "http"):
            if PORTS[what] not in targets:
                err(f"Service {n}: does not expose the {what} port {PORTS[what]}")
        if s["spec"].get("clusterIP") == "None":
            err(f"Service {n}: a client Service should not be headless")
        hosts = [h.strip() for h in eff_cfg.get("allowed_hosts") or []]
        for h in (n, f"{n}.$(POD_NAMESPACE)", f"{n}.$(POD_NAMESPACE).svc",
                  f"{n}.$(POD_NAMESPACE).{CLUSTER_DOMAIN}"):
            if h not in hosts and "*" not in hosts:
                err(f"allowed_hosts lacks {h!r}: a request signed for the Service {n} would be refused")

    # --- advertise addresses and seeds
    def pod_dns(ordinal: str) -> str:
        return f"{ordinal}.{svc_name}.$(POD_NAMESPACE).{CLUSTER_DOMAIN}"

    for what in PORTS:
        want = f"{pod_dns('$(POD_NAME)')}:{PORTS[what]}"
        if eff_cfg.get(f"{what}_advertise") != want:
            err(f"{what}_advertise must be {want!r} (the pod's name under the headless "
                f"Service), not {eff_cfg.get(f'{what}_advertise')!r}")
    join = [s.strip() for s in eff_cfg.get("join") or []]
    if not join:
        err("join (IAMD_JOIN) must list the first pods' peer addresses")
    else:
        ordinals = []
        for s in join:
            m_ = re.fullmatch(r"iamd-(\d+)\." + re.escape(f"{svc_name}.$(POD_NAMESPACE).{CLUSTER_DOMAIN}")
                              + rf":{PORTS['peer']}", s)
            if not m_:
                err(f"join entry {s!r} is not a pod's peer address "
                    f"iamd-N.{svc_name}.$(POD_NAMESPACE).{CLUSTER_DOMAIN}:{PORTS['peer']}")
            else:
                ordinals.append(int(m_.group(1)))
        if len(set(ordinals)) != len(ordinals):
            err(f"join lists a pod twice: {join}")
        if ordinals and ordinals[0] != 0:
            err("join's first entry must be iamd-0: the pod advertising it creates the cluster")
        for o in ordinals:
            if o >= replicas:
                err(f"join lists iamd-{o}, which is not a pod at {replicas} replicas")
        if len(join) < min(replicas, 3):
            err(f"join lists {len(join)} seeds; at {replicas} replicas it needs at least "
                f"{min(replicas, 3)}")
        first = eff_cfg.get("peer_advertise", "").replace("$(POD_NAME)", f"{sts['metadata']['name']}-0")
        if join[0] != first:
            err(f"join's first entry {join[0]!r} must equal pod 0's peer_advertise {first!r} "
                f"character for character (that is how iamd-0 knows to bootstrap)")

    # --- PodDisruptionBudget
    pdbs = [p for p in by_kind["PodDisruptionBudget"]
            if selects((p["spec"].get("selector") or {}).get("matchLabels"), pod_labels)]
    if len(pdbs) != 1:
        err(f"expected one PodDisruptionBudget selecting the iamd pods, found {len(pdbs)}")
    else:
        ps = pdbs[0]["spec"]
        if ps.get("maxUnavailable") != 1 or "minAvailable" in ps:
            err(f"PodDisruptionBudget {pdbs[0]['metadata']['name']}: must be maxUnavailable: 1 "
                f"(and no minAvailable)")

    # --- NetworkPolicy (optional, but if there, the peer port only from iamd pods)
    for np in by_kind["NetworkPolicy"]:
        ns = np["spec"]
        if not selects(ns.get("podSelector", {}).get("matchLabels"), pod_labels):
            continue
        if "Ingress" not in (ns.get("policyTypes") or ["Ingress"]):
            continue
        for i, rule in enumerate(ns.get("ingress") or []):
            ports = rule.get("ports")
            covers_peer = ports is None or any(
                resolve_port(p.get("port")) in (PORTS["peer"], None) for p in ports)
            if not covers_peer:
                continue
            peers = rule.get("from")
            if not peers or not all(
                    set(p) == {"podSelector"} and selects(p["podSelector"].get("matchLabels"), pod_labels)
                    for p in peers):
                err(f"NetworkPolicy {np['metadata']['name']}: ingress rule {i} opens the peer "
                    f"port {PORTS['peer']} to more than the iamd pods")
    return errors


def check_secret_example(schemas: Schemas) -> list[str]:
    errors = []
    if not os.path.isfile(SECRET_EXAMPLE):
        return [f"{rel(SECRET_EXAMPLE)} is missing"]
    with open(SECRET_EXAMPLE, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if len(docs) != 1 or docs[0].get("kind") != "Secret":
        return [f"{rel(SECRET_EXAMPLE)}: expected one Secret"]
    s = docs[0]
    errors += [f"{rel(SECRET_EXAMPLE)}: {e}" for e in schemas.errors(s)]
    name = s["metadata"].get("name")
    want = OPERATOR_SECRETS.get(name)
    if want is None:
        return errors + [f"{rel(SECRET_EXAMPLE)}: named {name!r}, not {' or '.join(OPERATOR_SECRETS)}"]
    have = set(s.get("stringData") or {}) | set(s.get("data") or {})
    if have != want:
        errors.append(f"{rel(SECRET_EXAMPLE)}: keys {sorted(have)}, the pods use {sorted(want)}")
    return errors


# --------------------------------------------------------------------------------------
# Self-test


def selftest_count() -> int:
    import selftest
    return len(selftest.MUTATIONS) + len(selftest.KUSTOMIZATIONS) + 2


def self_test(base: list[dict], schemas: Schemas, iamd_env, file_keys, kustomize) -> list[str]:
    """Runs tests/k8s/selftest.py's breakages; the errors of those that were not caught."""
    import selftest
    missed = []

    def expect(what: str, errors: list[str], fragment: str) -> None:
        if not any(fragment in e for e in errors):
            missed.append(f"self-test: {what}: no error containing {fragment!r} "
                          f"(got: {errors[:3] or 'none'})")

    for what, mutate, fragment in selftest.MUTATIONS:
        objects = copy.deepcopy(base)
        mutate(objects)
        errors = [e for o in objects for e in schemas.errors(o, newest_only=True)]
        errors += check_rendering("self-test", objects, iamd_env, file_keys)
        expect(what, errors, fragment)

    # A renderer that drifts from kustomize.
    drifted = copy.deepcopy(base)
    selftest.container(drifted)["image"] = "iamd:other"
    expect("render.py differing from kustomize", compare_renderings(base, drifted),
           "differs from kustomize in StatefulSet/iamd at /spec/template/spec/containers/0/image")

    with tempfile.TemporaryDirectory() as tmp:
        for what, text, fragment in selftest.KUSTOMIZATIONS:
            path = os.path.join(tmp, "kustomization.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            expect(what, render.check_kustomization(path), fragment)
        # A JSON 6902 test that does not hold fails the rendering, in both renderers.
        base_dir = os.path.relpath(os.path.join(K8S, "base"), tmp)
        with open(os.path.join(tmp, "kustomization.yaml"), "w", encoding="utf-8") as f:
            f.write(f"resources: [{base_dir}]\npatches:\n  - target: {{kind: StatefulSet, name: iamd}}\n"
                    f"    patch: |-\n      - op: test\n        path: /spec/template/spec/containers/0/env/2/name\n"
                    f"        value: IAMD_CONFIG\n")
        for renderer in ["render.py"] + ([kustomize[1]] if kustomize else []):
            try:
                if renderer == "render.py":
                    render.render(tmp)
                else:
                    render_with_kustomize(kustomize[0], tmp)
                missed.append(f"self-test: {renderer} applied a patch whose test op fails")
            except render.RenderError as e:
                if "test" not in str(e):
                    missed.append(f"self-test: {renderer} failed a failing test op for another reason: {e}")
    return missed


# --------------------------------------------------------------------------------------


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT)


def kustomization_dirs() -> list[str]:
    dirs = [os.path.join(K8S, "base")]
    overlays = os.path.join(K8S, "overlays")
    if os.path.isdir(overlays):
        dirs += [os.path.join(overlays, d) for d in sorted(os.listdir(overlays))
                 if os.path.isdir(os.path.join(overlays, d))]
    return dirs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renderer", choices=["auto", "python", "kustomize"], default="auto",
                    help="auto: a real kustomize where installed, checked against render.py")
    ap.add_argument("--no-self-test", action="store_true",
                    help="skip the breakages the checks must catch (tests/k8s/selftest.py)")
    ap.add_argument("--check-requirements", action="store_true",
                    help="exit 0 iff tests/k8s/requirements.txt is installed, and do nothing else")
    args = ap.parse_args()

    problems = requirement_problems()
    if args.check_requirements:
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    if problems:
        print(f"validate: {'; '.join(problems)}: python3 -m pip install -r {rel(REQUIREMENTS)}",
              file=sys.stderr)
        return 1

    # Imported once the requirements are known to be there (PyYAML comes with them).
    global yaml, render
    sys.dont_write_bytecode = True  # no __pycache__ in the work tree
    sys.path.insert(0, HERE)
    import yaml
    import render

    schemas = Schemas()
    iamd_env, file_keys = iamd_settings()
    failures: list[str] = []

    # Every kustomization in deploy/k8s keeps to the subset render.py implements.
    for dirpath, _, files in sorted(os.walk(K8S)):
        for f in files:
            if f in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                failures += render.check_kustomization(os.path.join(dirpath, f))

    kustomize = None if args.renderer == "python" else find_kustomize()
    if args.renderer == "kustomize" and kustomize is None:
        print("validate: no kustomize or kubectl on PATH", file=sys.stderr)
        return 1
    if kustomize:
        print(f"validate: renderer: {kustomize[1]}, checked against tests/k8s/render.py")
    else:
        why = "as asked" if args.renderer == "python" else "no kustomize or kubectl on PATH"
        print(f"validate: renderer: tests/k8s/render.py ({why})")
    print(f"validate: schemas: kubernetes-validate {importlib.metadata.version('kubernetes-validate')}, "
          f"strict, Kubernetes {schemas.label()}")

    base_objects = None
    for directory in kustomization_dirs():
        name = rel(directory)
        errors: list[str] = []
        try:
            ours = render.render(directory)
            objects = ours
            if kustomize:
                objects = render_with_kustomize(kustomize[0], directory)
                errors += compare_renderings(objects, ours)
        except (render.RenderError, OSError, yaml.YAMLError) as e:
            failures.append(f"{name}: cannot render: {e}")
            print(f"FAIL {name}: cannot render")
            continue
        for o in objects:
            errors += [f"{o['kind']}/{o['metadata']['name']}: {e}" for e in schemas.errors(o)]
        errors += check_rendering(name, objects, iamd_env, file_keys)
        if directory == os.path.join(K8S, "base"):
            base_objects = objects
        counts = collections.Counter(o["kind"] for o in objects)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        replicas = next((o["spec"].get("replicas") for o in objects if o["kind"] == "StatefulSet"), None)
        if errors:
            print(f"FAIL {name}: {summary}")
            failures += [f"{name}: {e}" for e in errors]
        else:
            print(f"ok   {name}: {len(objects)} objects ({summary}); {replicas} replicas")

    secret_errors = check_secret_example(schemas)
    failures += secret_errors
    print(f"{'FAIL' if secret_errors else 'ok  '} {rel(SECRET_EXAMPLE)}")

    if not args.no_self_test and base_objects is not None and not failures:
        st = self_test(base_objects, schemas, iamd_env, file_keys, kustomize)
        failures += st
        print(f"{'FAIL' if st else 'ok  '} self-test: {selftest_count() - len(st)} of "
              f"{selftest_count()} deliberate breakages caught")

    if failures:
        print(f"\nvalidate: {len(failures)} error(s):", file=sys.stderr)
        for f in failures:
            print(f"  - {f.replace(ROOT + os.sep, '')}", file=sys.stderr)
        return 1
    print("validate: the Kubernetes manifests are valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
