"""A small kustomize for the subset of kustomization fields deploy/k8s uses.

tests/k8s/validate.py renders with a real kustomize (`kustomize build`, or `kubectl
kustomize`) when one is on PATH, and with this module otherwise; when both are there it
renders with both and requires identical objects, so this renderer cannot drift from
kustomize unnoticed. `check_kustomization` refuses every field outside the subset, in every
kustomization.yaml under deploy/k8s, whichever renderer runs.

The subset, with kustomize's meaning:
  resources   files (one or more YAML documents) and directories (another kustomization)
  namespace   sets metadata.namespace of every (namespaced) object
  images      name / newName / newTag / digest, on the pod templates' containers
  replicas    name / count: spec.replicas of a StatefulSet or Deployment of that name
  patches     JSON 6902 patches (ops add, remove, replace, test) from `path` or inline
              `patch`, applied to the objects `target` selects (group, version, kind, name)
Transformers run in kustomize's order: patches, namespace, replicas, images.
"""

from __future__ import annotations

import copy
import os
import re

import yaml

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}
REPLICA_FIELDS = {"name", "count"}
PATCH_FIELDS = {"path", "patch", "target"}
TARGET_FIELDS = {"group", "version", "kind", "name"}
PATCH_OPS = {"add", "remove", "replace", "test"}
# Kinds this renderer knows to be namespaced and whose only namespace field is
# metadata.namespace (kustomize's namespace transformer does more for RBAC kinds and
# cluster-scoped ones: those are refused).
KINDS = {"ConfigMap", "Secret", "Service", "StatefulSet", "Deployment", "PodDisruptionBudget",
         "NetworkPolicy", "ServiceAccount", "PersistentVolumeClaim"}
REPLICA_KINDS = {"StatefulSet", "Deployment"}


class RenderError(Exception):
    pass


def kustomization_file(directory: str) -> str:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise RenderError(f"{directory}: no kustomization.yaml")


def load_yaml_docs(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def check_kustomization(path: str) -> list[str]:
    """Every field of the kustomization at `path` outside the supported subset."""
    errors = []
    docs = load_yaml_docs(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return [f"{path}: expected one YAML mapping"]
    k = docs[0]

    def unknown(where: str, got: dict, allowed: set) -> None:
        for key in sorted(set(got) - allowed):
            errors.append(
                f"{path}: {where}{key!r} is outside the kustomize subset this repository uses "
                f"(allowed: {', '.join(sorted(allowed))}); see tests/k8s/render.py")

    unknown("", k, KUSTOMIZATION_FIELDS)
    if k.get("apiVersion", "kustomize.config.k8s.io/v1beta1") != "kustomize.config.k8s.io/v1beta1":
        errors.append(f"{path}: apiVersion must be kustomize.config.k8s.io/v1beta1")
    if k.get("kind", "Kustomization") != "Kustomization":
        errors.append(f"{path}: kind must be Kustomization")
    for i, image in enumerate(k.get("images") or []):
        unknown(f"images[{i}].", image, IMAGE_FIELDS)
        if "name" not in image:
            errors.append(f"{path}: images[{i}] has no name")
    for i, rep in enumerate(k.get("replicas") or []):
        unknown(f"replicas[{i}].", rep, REPLICA_FIELDS)
        if not isinstance(rep.get("count"), int) or not isinstance(rep.get("name"), str):
            errors.append(f"{path}: replicas[{i}] needs a name and an integer count")
    for i, patch in enumerate(k.get("patches") or []):
        unknown(f"patches[{i}].", patch, PATCH_FIELDS)
        unknown(f"patches[{i}].target.", patch.get("target") or {}, TARGET_FIELDS)
        if not patch.get("target", {}).get("kind") or not patch.get("target", {}).get("name"):
            errors.append(f"{path}: patches[{i}] needs a target with kind and name")
        if ("path" in patch) == ("patch" in patch):
            errors.append(f"{path}: patches[{i}] needs exactly one of path and patch")
            continue
        try:
            ops = patch_ops(os.path.dirname(path), patch)
        except (RenderError, OSError, yaml.YAMLError) as e:
            errors.append(f"{path}: patches[{i}]: {e}")
            continue
        for j, op in enumerate(ops):
            if not isinstance(op, dict) or op.get("op") not in PATCH_OPS:
                errors.append(
                    f"{path}: patches[{i}] operation {j} is not a JSON 6902 "
                    f"{'/'.join(sorted(PATCH_OPS))} operation (strategic-merge patches are "
                    f"outside the subset)")
    return errors


def patch_ops(base_dir: str, patch: dict) -> list:
    if "path" in patch:
        with open(os.path.join(base_dir, patch["path"]), encoding="utf-8") as f:
            ops = yaml.safe_load(f)
    else:
        ops = yaml.safe_load(patch["patch"])
    if not isinstance(ops, list):
        raise RenderError("not a JSON 6902 patch (a list of operations); strategic-merge "
                          "patches are outside the subset")
    return ops


def render(directory: str) -> list[dict]:
    """The objects `kustomize build directory` would print (in no particular order)."""
    path = kustomization_file(directory)
    errors = check_kustomization(path)
    if errors:
        raise RenderError("\n".join(errors))
    k = load_yaml_docs(path)[0]
    objects: list[dict] = []
    for res in k.get("resources") or []:
        full = os.path.normpath(os.path.join(directory, res))
        if os.path.isdir(full):
            objects.extend(render(full))
        elif os.path.isfile(full):
            for doc in load_yaml_docs(full):
                if not isinstance(doc, dict) or "kind" not in doc:
                    raise RenderError(f"{full}: a document that is not a Kubernetes object")
                if doc.get("kind", "").endswith("List"):
                    raise RenderError(f"{full}: List objects are outside the subset")
                objects.append(doc)
        else:
            raise RenderError(f"{path}: resource {res!r} does not exist")
    seen = set()
    for obj in objects:
        if obj["kind"] not in KINDS:
            raise RenderError(f"{path}: kind {obj['kind']} is outside what tests/k8s/render.py "
                              f"renders ({', '.join(sorted(KINDS))})")
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if key in seen:
            raise RenderError(f"{path}: {key[0]}/{key[2]} appears twice")
        seen.add(key)

    for i, patch in enumerate(k.get("patches") or []):
        target = patch["target"]
        hits = [o for o in objects if matches(o, target)]
        if not hits:
            raise RenderError(f"{path}: patches[{i}] selects no object ({target})")
        ops = patch_ops(directory, patch)
        for obj in hits:
            apply_json6902(obj, ops, f"{path}: patches[{i}]")

    if "namespace" in k:
        for obj in objects:
            obj["metadata"]["namespace"] = k["namespace"]

    for rep in k.get("replicas") or []:
        hits = [o for o in objects if o["kind"] in REPLICA_KINDS and o["metadata"]["name"] == rep["name"]]
        if not hits:
            raise RenderError(f"{path}: replicas {rep['name']!r} selects no StatefulSet or Deployment")
        for obj in hits:
            obj.setdefault("spec", {})["replicas"] = rep["count"]

    for image in k.get("images") or []:
        for obj in objects:
            for c in pod_containers(obj):
                if "image" in c:
                    c["image"] = retag(c["image"], image)
    return objects


def matches(obj: dict, target: dict) -> bool:
    group, _, version = obj["apiVersion"].rpartition("/")
    return (obj["kind"] == target["kind"]
            and obj["metadata"]["name"] == target["name"]
            and target.get("group", group) == group
            and target.get("version", version) == version)


def pod_containers(obj: dict) -> list[dict]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


IMAGE_RE = re.compile(r"^(?P<name>[^@]+?)(?::(?P<tag>[^:/@]+))?(?:@(?P<digest>.+))?$")


def retag(ref: str, image: dict) -> str:
    m = IMAGE_RE.match(ref)
    if not m or m.group("name") != image["name"]:
        return ref
    name, tag, digest = m.group("name"), m.group("tag"), m.group("digest")
    name = image.get("newName", name)
    if "digest" in image:
        return f"{name}@{image['digest']}"
    if "newTag" in image:
        return f"{name}:{image['newTag']}"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer {path!r} does not start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts: list[str], where: str):
    for p in parts:
        if isinstance(doc, list):
            try:
                doc = doc[int(p)]
            except (ValueError, IndexError):
                raise RenderError(f"{where}: no element {p!r} in a list of {len(doc)}")
        elif isinstance(doc, dict):
            if p not in doc:
                raise RenderError(f"{where}: no field {p!r}")
            doc = doc[p]
        else:
            raise RenderError(f"{where}: cannot descend into a scalar at {p!r}")
    return doc


def apply_json6902(obj: dict, ops: list, where: str) -> None:
    for op in ops:
        parts = _pointer(op["path"])
        parent = _walk(obj, parts[:-1], where)
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            if _walk(parent, [last], where) != op["value"]:
                raise RenderError(f"{where}: test failed: {op['path']} is not {op['value']!r}")
        elif kind == "replace":
            _walk(parent, [last], where)
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op["value"])
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "add":
            if isinstance(parent, list):
                if last == "-":
                    parent.append(copy.deepcopy(op["value"]))
                else:
                    index = int(last)
                    if index > len(parent):
                        raise RenderError(f"{where}: add at {op['path']}: index out of range")
                    parent.insert(index, copy.deepcopy(op["value"]))
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            _walk(parent, [last], where)
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
