#!/usr/bin/python3
"""check_kubernetes.py DEPLOY_DIR SAFEKEEPER_BIN: deploy/kubernetes and deploy/container, checked
without a cluster.

1. Every manifest the kustomization lists is valid against the Kubernetes API's own models (the
   python3-kubernetes client's field names and types): an unknown or misspelt field, or a value
   of the wrong type, fails.
2. The fields that must agree do: the StatefulSet's service name and the headless Service,
   every selector and the pod labels, the Service's target ports and the container's ports, the
   container's ports and the daemon's listen addresses, the peers and the pods' DNS names, the
   paths in safekeeper.conf and the volumes mounted, the Dockerfile's user and runAsUser.
3. The probes' paths are routes the daemon answers without a token: the built daemon is started
   with token checks on and asked for them.
4. safekeeper-pod.sh makes the id and advertised name each pod's peers entry expects.
5. The image's runtime packages hold every shared library the daemon links.

Exit 77 (skipped) where the Debian packages python3-yaml and python3-kubernetes are missing.
"""
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

try:
    import yaml
    import kubernetes.client as models
except ImportError as missing:
    print(f"skipped: {missing} (apt-get install python3-yaml python3-kubernetes)")
    sys.exit(77)

FAILURES = []


def fail(message):
    FAILURES.append(message)


def expect(condition, message):
    if not condition:
        fail(message)


# --- 1. Field names and types, from the API's models -------------------------------------------

MODEL_OF_KIND = {
    ("v1", "Service"): "V1Service",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
}
SCALARS = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check_value(value, type_name, where):
    if type_name == "object":  # IntOrString, quantities: any scalar.
        expect(isinstance(value, (str, int, float, dict)), f"{where}: unexpected {value!r}")
        return
    if type_name in SCALARS:
        ok = isinstance(value, SCALARS[type_name]) and not (
            type_name == "int" and isinstance(value, bool))
        expect(ok, f"{where}: {value!r} is not a {type_name}")
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            fail(f"{where}: expected a list")
            return
        for i, item in enumerate(value):
            check_value(item, type_name[5:-1], f"{where}[{i}]")
        return
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            fail(f"{where}: expected a map")
            return
        inner = type_name[5:-1].split(", ", 1)[1]
        for key, item in value.items():
            check_value(item, inner, f"{where}.{key}")
        return
    model = getattr(models, type_name, None)
    if model is None:
        fail(f"{where}: no model {type_name}")
        return
    if not isinstance(value, dict):
        fail(f"{where}: expected an object ({type_name})")
        return
    by_json_name = {json_name: attr for attr, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json_name:
            fail(f"{where}: {type_name} has no field '{key}'")
            continue
        check_value(item, model.openapi_types[by_json_name[key]], f"{where}.{key}")


def check_document(document, where):
    kind_key = (document.get("apiVersion"), document.get("kind"))
    model = MODEL_OF_KIND.get(kind_key)
    if model is None:
        fail(f"{where}: unexpected apiVersion/kind {kind_key}")
        return
    check_value(document, model, where)


# --- helpers -------------------------------------------------------------------------------------

def read_config(path):
    """safekeeper.conf's `key = value` lines."""
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                key, value = (part.strip() for part in line.split("=", 1))
                settings[key] = value
    return settings


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def subset(small, big):
    return all(big.get(k) == v for k, v in (small or {}).items())


def start_daemon(binary, scratch):
    """The built daemon with token checks on, on loopback ports the kernel picks; its HTTP address."""
    key = os.path.join(scratch, "key.pem")
    public = os.path.join(scratch, "public.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", public], check=True)
    data = os.path.join(scratch, "data")
    os.mkdir(data)
    log_path = os.path.join(scratch, "safekeeper.log")
    # The daemon says READY=1 on NOTIFY_SOCKET (systemd's protocol) once it has logged its ports.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.path.join(scratch, "notify"))
    notify.settimeout(30)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [binary, "--id", "1", "--data-dir", data, "--auth-public-keys", public,
             "--listen-proposer", "127.0.0.1:0", "--listen-pg", "127.0.0.1:0",
             "--listen-http", "127.0.0.1:0"], stdout=log, stderr=log,
            env={**os.environ, "NOTIFY_SOCKET": os.path.join(scratch, "notify")})
    try:
        while b"READY=1" not in notify.recv(4096):
            pass
    except socket.timeout:
        process.kill()
        raise RuntimeError("the daemon did not start:\n" + open(log_path).read())
    match = re.search(r"http (127\.0\.0\.1:\d+)", open(log_path).read())
    return process, match.group(1)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


# --- the checks ----------------------------------------------------------------------------------

def main(deploy, binary):
    kube = os.path.join(deploy, "kubernetes")
    with open(os.path.join(kube, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    check_value(kustomization.get("apiVersion"), "str", "kustomization.apiVersion")
    expect(kustomization.get("kind") == "Kustomization", "kustomization.yaml: kind")

    objects = {}
    for resource in kustomization["resources"]:
        with open(os.path.join(kube, resource)) as f:
            for document in yaml.safe_load_all(f):
                check_document(document, resource)
                objects[document["kind"]] = document
    generated = {}
    for generator in kustomization.get("configMapGenerator", []):
        for name in generator["files"]:
            expect(os.path.exists(os.path.join(kube, name)), f"configMapGenerator: no file {name}")
        generated[generator["name"]] = generator["files"]

    service, sts, pdb = objects["Service"], objects["StatefulSet"], objects["PodDisruptionBudget"]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}

    # The headless Service names the pods.
    expect(spec["serviceName"] == service["metadata"]["name"], "serviceName is not the Service")
    expect(service["spec"].get("clusterIP") == "None", "the Service is not headless")
    expect(service["spec"].get("publishNotReadyAddresses") is True,
           "peers must resolve before they are ready: publishNotReadyAddresses")
    # Every selector picks the pods.
    expect(subset(spec["selector"]["matchLabels"], labels), "StatefulSet selector misses its pods")
    expect(subset(service["spec"]["selector"], labels), "Service selector misses the pods")
    expect(subset(pdb["spec"]["selector"]["matchLabels"], labels), "PDB selector misses the pods")
    expect(pdb["spec"].get("maxUnavailable") == 1, "PDB maxUnavailable must be 1")
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    expect(any(t["topologyKey"] == "kubernetes.io/hostname" and
               subset(t["labelSelector"]["matchLabels"], labels) for t in anti),
           "no required anti-affinity of the pods per machine")
    # The Service's ports are the container's.
    for port in service["spec"]["ports"]:
        expect(ports.get(port["targetPort"]) == port["port"],
               f"Service port {port['name']} -> {port['targetPort']} is not a container port")

    # The daemon's configuration agrees with the pod.
    config_file = os.path.join(kube, "safekeeper.conf")
    config = read_config(config_file)
    for name in ("proposer", "pg", "http"):
        expect(port_of(config[f"listen-{name}"]) == ports[name],
               f"listen-{name} is not container port {name}")
    replicas = spec["replicas"]
    # A new data directory serves only once most other nodes have recorded it, so the pods
    # must start together: OrderedReady would wait for pod 0's readiness before starting pod 1.
    expect(spec.get("podManagementPolicy") == "Parallel",
           "the StatefulSet's podManagementPolicy must be Parallel")
    peers = [entry.split("=", 1) for entry in config["peers"].split(",")]
    expect(len(peers) == replicas, f"{len(peers)} peers for {replicas} replicas")
    set_name, service_name = sts["metadata"]["name"], service["metadata"]["name"]
    for ordinal, (node_id, address) in enumerate(peers):
        expect(node_id == str(ordinal + 1), f"peer {address} has id {node_id}, not ordinal + 1")
        expect(address == f"{set_name}-{ordinal}.{service_name}:{ports['proposer']}",
               f"peer {node_id} at {address} is not pod {set_name}-{ordinal}'s name")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    claims = {c["metadata"]["name"] for c in spec["volumeClaimTemplates"]}
    expect(mounts.get(config["data-dir"]) in claims, "data-dir is not a claimed volume")
    readme = open(os.path.join(kube, "README.md")).read()
    for key in ("auth-public-keys", "auth-token-file", "tls-cert", "tls-key"):
        directory, file_name = os.path.split(config[key])
        volume = volumes.get(mounts.get(directory))
        expect(volume is not None and "secret" in volume, f"{key}: {directory} is no Secret mount")
        if volume is not None and "secret" in volume:
            expect(volume["secret"]["secretName"] in readme and file_name in readme,
                   f"{key}: README.md does not say how Secret "
                   f"{volume['secret']['secretName']} gets {file_name}")
    # HTTPS probes exactly when the HTTP port speaks TLS.
    scheme = "HTTPS" if "tls-cert" in config else "HTTP"
    probes = {kind: container[kind]["httpGet"]
              for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    for kind, probe in probes.items():
        expect(ports.get(probe["port"]) == ports["http"], f"{kind} is not on the HTTP port")
        expect(probe.get("scheme", "HTTP") == scheme, f"{kind} scheme is not {scheme}")
    expect(probes["livenessProbe"]["path"] == "/healthz",
           "liveness must not depend on readiness (a restart does not mend a broken timeline)")

    # The entry script: the command the pod runs, and what it makes of the pod's name.
    config_mount = next(path for path, name in mounts.items()
                        if "configMap" in volumes.get(name, {})
                        and volumes[name]["configMap"]["name"] in generated)
    script = os.path.join(kube, "safekeeper-pod.sh")
    expect(container["command"][-1] == f"{config_mount}/safekeeper-pod.sh",
           "the container's command is not the mounted safekeeper-pod.sh")
    for ordinal in range(replicas):
        pod_name = f"{set_name}-{ordinal}"
        run = subprocess.run(["/bin/sh", script], capture_output=True, text=True,
                             env={"HOSTNAME": pod_name, "SAFEKEEPER": "echo", "PATH": "/bin"})
        args = shlex.split(run.stdout)
        expect(run.returncode == 0 and args[args.index("--id") + 1] == peers[ordinal][0],
               f"{pod_name}: id {run.stdout!r}")
        expect(f"{args[args.index('--advertise') + 1]}:{ports['proposer']}" == peers[ordinal][1],
               f"{pod_name}: advertised {run.stdout!r} is not its peers entry")
        expect(args[args.index("--config") + 1] == f"{config_mount}/safekeeper.conf",
               f"{pod_name}: --config is not the mounted file")
    bad = subprocess.run(["/bin/sh", script], capture_output=True, text=True,
                         env={"HOSTNAME": "safekeeper", "SAFEKEEPER": "echo", "PATH": "/bin"})
    expect(bad.returncode == 2, "a pod name without an ordinal must be refused")

    # The image runs as the pod's user and holds the daemon's libraries.
    dockerfile = open(os.path.join(deploy, "container", "Dockerfile")).read()
    user = re.search(r"^USER (\d+):(\d+)", dockerfile, re.M)
    context = pod["securityContext"]
    expect(user and int(user.group(1)) == context["runAsUser"] and
           int(user.group(2)) == context["runAsGroup"], "Dockerfile USER is not runAsUser")
    runtime_stage = dockerfile.split("FROM debian:bookworm-slim", 1)[1]
    runtime_packages = set(re.search(r"--no-install-recommends\s*\\\n(.*?)\n", runtime_stage,
                                     re.S).group(1).split())
    in_base_image = {"libc6", "libstdc++6", "libgcc-s1"}
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    for library in re.findall(r"=> (/\S+)", ldd):
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(library)], capture_output=True,
                               text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True)
        package = owner.stdout.split(":", 1)[0]
        expect(package in runtime_packages | in_base_image,
               f"the image lacks {library} (package {package or '?'})")

    # The probes' paths are routes the daemon answers, with no token, while tokens are checked.
    with tempfile.TemporaryDirectory() as scratch:
        process, http_address = start_daemon(binary, scratch)
        try:
            for kind, probe in probes.items():
                status = http_status(f"http://{http_address}{probe['path']}")
                expect(status == 200, f"{kind} {probe['path']}: the daemon answered {status}")
            expect(http_status(f"http://{http_address}/v1/status") == 401,
                   "the daemon under test did not check tokens")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    for message in FAILURES:
        print("FAIL:", message)
    if FAILURES:
        return 1
    print(f"checked: {', '.join(kustomization['resources'])}, safekeeper.conf, "
          f"safekeeper-pod.sh, the Dockerfile")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
