"""Breakages validate.py must catch: each mutates a copy of the base's rendering (or a
kustomization) and names a fragment of the error it must produce. validate.py runs them all
after validating the real manifests, so a check that stops firing fails the run."""

from __future__ import annotations


def find(objects, kind, name=None):
    for o in objects:
        if o["kind"] == kind and (name is None or o["metadata"]["name"] == name):
            return o
    raise KeyError(f"{kind}/{name}")


def sts(objects):
    return find(objects, "StatefulSet", "iamd")


def container(objects):
    return sts(objects)["spec"]["template"]["spec"]["containers"][0]


def env(objects, name):
    for e in container(objects)["env"]:
        if e["name"] == name:
            return e
    raise KeyError(name)


def set_env(objects, name, value):
    try:
        env(objects, name)["value"] = value
    except KeyError:
        container(objects)["env"].append({"name": name, "value": value})


def toml_edit(objects, edit):
    """Rewrites the ConfigMap's TOML with `edit(text) -> text`."""
    cm = find(objects, "ConfigMap", "iamd-config")
    text = cm["data"]["iamd.toml"]
    cm["data"]["iamd.toml"] = edit(text)


def without_toml_key(text, key):
    return "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} ="))


def seeds(n, svc="iamd-peer", first=0):
    return ",".join(f"iamd-{i}.{svc}.$(POD_NAMESPACE).svc.cluster.local:7102"
                    for i in range(first, first + n))


def _move_namespace_last(o):
    e = container(o)["env"]
    ns = next(x for x in e if x["name"] == "POD_NAMESPACE")
    e.remove(ns)
    e.append(ns)


def _peer_on_client(o):
    find(o, "Service", "iamd")["spec"]["ports"].append({"name": "peer", "port": 7102, "targetPort": "peer"})


def _open_peer(o):
    find(o, "NetworkPolicy", "iamd")["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {}}]


def _secret_in_rendering(o):
    o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "iamd-secrets"},
              "stringData": {"secret.key": "x"}})


def _data_dir_root(o):
    toml_edit(o, lambda t: t.replace('data_dir = "/var/lib/iamd/data"', 'data_dir = "/var/lib/iamd"'))


def _secret_key_in_configmap(o):
    toml_edit(o, lambda t: t.replace('"/etc/iamd/secrets/secret.key"', '"/etc/iamd/config/secret.key"'))


def _literal_secret_key(o):
    toml_edit(o, lambda t: without_toml_key(t, "secret_key_file"))
    set_env(o, "IAMD_SECRET_KEY", "00" * 32)


def _root_allowed(o):
    sts(o)["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot")
    container(o)["securityContext"].pop("runAsNonRoot")


def _numeric_node_id(o):
    toml_edit(o, lambda t: t.replace('node_id = "auto"', "node_id = 1"))


# (what, mutation of the base's objects, fragment of the expected error)
MUTATIONS = [
    ("an unknown field in the container (strict schema)",
     lambda o: container(o).update(imagePulPolicy="Always"), "'imagePulPolicy' was unexpected"),
    ("a wrongly typed field (schema)",
     lambda o: sts(o)["spec"].update(replicas="three"), "is not of type 'integer'"),
    ("podManagementPolicy OrderedReady",
     lambda o: sts(o)["spec"].update(podManagementPolicy="OrderedReady"), "podManagementPolicy must be Parallel"),
    ("the peer Service without publishNotReadyAddresses",
     lambda o: find(o, "Service", "iamd-peer")["spec"].pop("publishNotReadyAddresses"), "publishNotReadyAddresses must be true"),
    ("the peer Service not headless",
     lambda o: find(o, "Service", "iamd-peer")["spec"].pop("clusterIP"), "must be headless"),
    ("the client Service exposing the peer port", _peer_on_client, "exposes the peer port"),
    ("a PodDisruptionBudget of maxUnavailable 2",
     lambda o: find(o, "PodDisruptionBudget")["spec"].update(maxUnavailable=2), "must be maxUnavailable: 1"),
    ("a PodDisruptionBudget selecting other pods",
     lambda o: find(o, "PodDisruptionBudget")["spec"]["selector"].update(matchLabels={"app": "x"}),
     "one PodDisruptionBudget selecting the iamd pods"),
    ("readiness on /livez",
     lambda o: container(o)["readinessProbe"]["httpGet"].update(path="/livez"), "readinessProbe must be httpGet /readyz"),
    ("readiness over plain HTTP",
     lambda o: container(o)["readinessProbe"]["httpGet"].update(scheme="HTTP"), "scheme HTTPS"),
    ("liveness on /readyz",
     lambda o: container(o).update(livenessProbe={"httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"}}),
     "livenessProbe may only be httpGet /livez"),
    ("a startup probe without a liveness probe",
     lambda o: container(o).update(startupProbe={"httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"}}),
     "startupProbe without a livenessProbe"),
    ("runAsNonRoot removed", _root_allowed, "runAsNonRoot must be true"),
    ("a writable root filesystem",
     lambda o: container(o)["securityContext"].update(readOnlyRootFilesystem=False), "readOnlyRootFilesystem must be true"),
    ("capabilities not dropped",
     lambda o: container(o)["securityContext"].pop("capabilities"), "capabilities must drop ALL"),
    ("no resource requests",
     lambda o: container(o)["resources"].pop("requests"), "resources.requests needs cpu and memory"),
    ("two seeds at three replicas",
     lambda o: set_env(o, "IAMD_JOIN", seeds(2)), "needs at least 3"),
    ("a seed that is not a pod of the headless Service",
     lambda o: set_env(o, "IAMD_JOIN", seeds(3, svc="iamd")), "is not a pod's peer address"),
    ("a seed list not starting with iamd-0",
     lambda o: set_env(o, "IAMD_JOIN", seeds(3, first=1)), "first entry must be iamd-0"),
    ("a seed beyond the replicas",
     lambda o: set_env(o, "IAMD_JOIN", seeds(4)), "not a pod at 3 replicas"),
    ("an advertise address in another form than the seeds",
     lambda o: set_env(o, "IAMD_PEER_ADVERTISE", "$(POD_NAME).iamd-peer:7102"), "peer_advertise must be"),
    ("a fixed node id", _numeric_node_id, "node_id must be auto"),
    ("a setting both in the file and the environment",
     lambda o: set_env(o, "IAMD_LOG_FORMAT", "text"), "set both in the config file and as IAMD_LOG_FORMAT"),
    ("an IAMD_ variable iamd does not read",
     lambda o: set_env(o, "IAMD_NODEID", "auto"), "not a variable `iamd serve` reads"),
    ("a config key iamd does not accept",
     lambda o: toml_edit(o, lambda t: t + 'nodeid = "auto"\n'), "not a key iamd's config file accepts"),
    ("a variable referenced before its definition", _move_namespace_last, "is not defined earlier"),
    ("the secret key from the ConfigMap", _secret_key_in_configmap, "secret_key_file /etc/iamd/config/secret.key is not in a mounted Secret"),
    ("the secret key as a literal variable", _literal_secret_key, "never a literal"),
    ("the data dir at the volume's root", _data_dir_root, "must be a directory below the volume's root"),
    ("the allowed hosts without the Service's names",
     lambda o: set_env(o, "IAMD_ALLOWED_HOSTS", "iamd"), "allowed_hosts lacks"),
    ("service links enabled",
     lambda o: sts(o)["spec"]["template"]["spec"].pop("enableServiceLinks"), "enableServiceLinks must be false"),
    ("scale-down keeping volumes",
     lambda o: sts(o)["spec"]["persistentVolumeClaimRetentionPolicy"].update(whenScaled="Retain"), "whenScaled must be Delete"),
    ("the peer port open to every pod", _open_peer, "opens the peer port"),
    ("the operator's Secret in the rendering", _secret_in_rendering, "is part of the rendering"),
]

# Kustomizations outside the subset render.py implements: (what, kustomization text, error).
KUSTOMIZATIONS = [
    ("commonLabels", "resources: [x.yaml]\ncommonLabels: {a: b}\n", "'commonLabels' is outside the kustomize subset"),
    ("a strategic-merge patch",
     "resources: [x.yaml]\npatches:\n  - target: {kind: StatefulSet, name: iamd}\n"
     "    patch: |-\n      spec: {replicas: 5}\n", "not a JSON 6902 patch"),
    ("a patch target by label",
     "resources: [x.yaml]\npatches:\n  - target: {kind: StatefulSet, name: iamd, labelSelector: a=b}\n"
     "    patch: '[]'\n", "'labelSelector' is outside the kustomize subset"),
]

