#!/usr/bin/env bash
# Parses deploy/kubernetes/*.yaml and checks that the manifests agree with each other and with
# detserve (ctest: deploy.kubernetes). No cluster needed; schema validation needs one
# (kubectl apply --dry-run=server -k deploy/kubernetes/).
#
#   tests/deploy/check-kubernetes.sh
#
# Checks: every file parses; kustomization.yaml lists them all; the Service selects the pods and
# targets the container's port; probes ask /healthz (liveness) and /readyz (readiness, startup) on
# that port; the Prometheus annotations name that port and /metrics; terminationGracePeriodSeconds
# exceeds the preStop sleep plus DETSERVE_SHUTDOWN_TIMEOUT_MS; CPU requests/limits equal
# streams x threads; the HPA (autoscaling/v2) scales this Deployment on CPU; every DETSERVE_* key
# is a serve setting (config/default.json). Needs python3 with PyYAML (Debian: python3-yaml);
# without it the test is skipped (exit 77).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "skip: python3 with PyYAML not found (Debian: python3-yaml)" >&2
  exit 77
fi
if command -v kubectl >/dev/null 2>&1; then
  step "kubectl kustomize deploy/kubernetes"
  kubectl kustomize "$DETSERVE_ROOT/deploy/kubernetes" >/dev/null || die "kubectl kustomize failed"
  info "ok"
fi

step "deploy/kubernetes/*.yaml"
exec python3 - "$DETSERVE_ROOT" <<'PY'
import glob, json, os, sys
import yaml

root = sys.argv[1]
kdir = os.path.join(root, "deploy", "kubernetes")
errors = []
def check(ok, message):
    if not ok:
        errors.append(message)
        print(f"    FAIL {message}", file=sys.stderr)

docs = {}
for path in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
    name = os.path.basename(path)
    try:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    docs.setdefault(doc.get("kind"), []).append((name, doc))
        print(f"    {name}: parses", file=sys.stderr)
    except yaml.YAMLError as e:
        check(False, f"{name}: not valid YAML: {e}")

def one(kind):
    found = docs.get(kind, [])
    check(len(found) == 1, f"expected one {kind}, found {len(found)}")
    return found[0][1] if found else {}

kust = one("Kustomization")
listed = set(kust.get("resources", []))
for path in glob.glob(os.path.join(kdir, "*.yaml")):
    name = os.path.basename(path)
    if name != "kustomization.yaml":
        check(name in listed, f"kustomization.yaml does not list {name}")

dep, svc, hpa = one("Deployment"), one("Service"), one("HorizontalPodAutoscaler")
one("PodDisruptionBudget")
pod = dep.get("spec", {}).get("template", {})
pod_labels = pod.get("metadata", {}).get("labels", {})
containers = pod.get("spec", {}).get("containers", [])
check(len(containers) == 1, "the Deployment should have one container")
c = containers[0] if containers else {}
env = {e["name"]: e.get("value") for e in c.get("env", [])}
ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
port = ports.get("http")
check(port is not None, "the container has no port named http")
check(str(port) == env.get("DETSERVE_PORT", "8080"), f"containerPort {port} != DETSERVE_PORT {env.get('DETSERVE_PORT')}")

with open(os.path.join(root, "config", "default.json")) as f:
    settings = json.load(f)
for key in env:
    if key.startswith("DETSERVE_"):
        check(key[len("DETSERVE_"):].lower() in settings, f"env {key} is not a serve setting (config/default.json)")

def probe(kind, path):
    p = c.get(kind, {}).get("httpGet", {})
    check(p.get("path") == path, f"{kind} asks {p.get('path')}, expected {path}")
    check(p.get("port") in ("http", port), f"{kind} port {p.get('port')} is not the container's port")
probe("livenessProbe", "/healthz")
probe("readinessProbe", "/readyz")
probe("startupProbe", "/readyz")

ann = pod.get("metadata", {}).get("annotations", {})
check(ann.get("prometheus.io/scrape") == "true", "pod annotation prometheus.io/scrape is not \"true\"")
check(ann.get("prometheus.io/port") == str(port), f"prometheus.io/port {ann.get('prometheus.io/port')} != {port}")
check(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path is not /metrics")

grace = pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)
pre = c.get("lifecycle", {}).get("preStop", {})
sleep_s = 0
if "exec" in pre:
    cmd = pre["exec"].get("command", [])
    if len(cmd) == 2 and cmd[0] == "sleep":
        sleep_s = int(cmd[1])
elif "sleep" in pre:
    sleep_s = int(pre["sleep"].get("seconds", 0))
check(sleep_s > 0, "no preStop sleep: load balancers would still send to a pod that stopped listening")
drain_s = int(env.get("DETSERVE_SHUTDOWN_TIMEOUT_MS", settings["shutdown_timeout_ms"])) / 1000
check(grace > sleep_s + drain_s,
      f"terminationGracePeriodSeconds {grace} <= preStop {sleep_s} s + shutdown_timeout {drain_s:g} s")

res = c.get("resources", {})
def cpus(v):
    v = str(v)
    return float(v[:-1]) / 1000 if v.endswith("m") else float(v)
streams = int(env.get("DETSERVE_STREAMS", settings["streams"]))
threads = int(env.get("DETSERVE_THREADS", settings["threads"]))
for which in ("requests", "limits"):
    cpu = res.get(which, {}).get("cpu")
    check(cpu is not None, f"no resources.{which}.cpu")
    if cpu is not None:
        check(cpus(cpu) == streams * threads, f"resources.{which}.cpu {cpu} != streams {streams} x threads {threads}")
    check(res.get(which, {}).get("memory") is not None, f"no resources.{which}.memory")

sel = svc.get("spec", {}).get("selector", {})
check(sel and all(pod_labels.get(k) == v for k, v in sel.items()), f"the Service selector {sel} does not match the pod labels {pod_labels}")
check(dep.get("spec", {}).get("selector", {}).get("matchLabels", {}).items() <= pod_labels.items(),
      "the Deployment's selector does not match its pod labels")
for p in svc.get("spec", {}).get("ports", []):
    check(p.get("targetPort") in ("http", port), f"Service targetPort {p.get('targetPort')} is not the container's port")

check(hpa.get("apiVersion") == "autoscaling/v2", f"HPA apiVersion {hpa.get('apiVersion')}, expected autoscaling/v2")
ref = hpa.get("spec", {}).get("scaleTargetRef", {})
check(ref.get("kind") == "Deployment" and ref.get("name") == dep.get("metadata", {}).get("name"),
      f"the HPA scales {ref.get('kind')}/{ref.get('name')}, not the Deployment")
metrics = hpa.get("spec", {}).get("metrics", [])
check(any(m.get("type") == "Resource" and m.get("resource", {}).get("name") == "cpu" for m in metrics),
      "the HPA has no CPU utilization metric")
check(hpa.get("spec", {}).get("minReplicas", 1) >= 2, "HPA minReplicas < 2: nothing serves while the only replica drains")

if errors:
    print(f"\ndeploy/kubernetes: {len(errors)} check(s) failed:", file=sys.stderr)
    for e in errors:
        print(f"  - {e}", file=sys.stderr)
    sys.exit(1)
print(f"==> ok: deployment, service, hpa, pdb agree (port {port}, grace {grace} s > {sleep_s} + {drain_s:g} s, "
      f"{streams}x{threads} CPUs)", file=sys.stderr)
PY
