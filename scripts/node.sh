#!/usr/bin/env bash
# Adds one node to the control plane of scripts/control-plane.sh: Debian's containerd (with runc
# and the CNI plugins) and a kubelet built at the control plane's release, everything under DIR
# and on loopback. The images of tools/image/*.oci.tar (scripts/build-image.sh) are imported into
# containerd, so pods use them with imagePullPolicy: Never; no registry is reached.
#
#   bash scripts/node.sh DIR KUBECONFIG      # runs until stopped; DIR/ready once the node is Ready
#
# Pods of this node reach the machine's loopback with hostNetwork: true (the only CNI network is
# a loopback one, so that the node reports its network ready without a bridge). The kubelet
# listens on loopback only, so the API server cannot reach it (no `kubectl logs`): the
# containers' logs are files under DIR/pods-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib/wait-ready.sh
TOOLS_BIN="$ROOT/tools/bin"
dir=${1:?usage: node.sh DIR KUBECONFIG}
kubeconfig=${2:?usage: node.sh DIR KUBECONFIG}
NODE_NAME=${NODE_NAME:-titelive-node}
mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
rm -f "$dir/ready"

for binary in containerd ctr runc; do
  if ! command -v "$binary" >/dev/null 2>&1; then
    echo "node: $binary is missing; run: bash scripts/install-tools.sh (Debian packages containerd, runc, containernetworking-plugins)" >&2
    exit 2
  fi
done
if [[ ! -x "$TOOLS_BIN/kubelet" ]]; then
  echo "node: $TOOLS_BIN/kubelet is missing; run: bash scripts/install-tools.sh" >&2
  exit 2
fi
if ! ls "$ROOT"/tools/image/*.oci.tar >/dev/null 2>&1; then
  echo "node: no image in tools/image; run: bash scripts/build-image.sh" >&2
  exit 2
fi
KUBECTL=$(command -v kubectl || echo "$TOOLS_BIN/kubectl")
CNI_BIN=/usr/lib/cni
[[ -x $CNI_BIN/loopback ]] || { echo "node: $CNI_BIN/loopback is missing (Debian package containernetworking-plugins)" >&2; exit 2; }

mkdir -p "$dir/containerd" "$dir/cni" "$dir/kubelet" "$dir/pods-logs"
socket="$dir/containerd/containerd.sock"
# This machine refuses to lower a process's oom_score_adj (no CAP_SYS_RESOURCE), which the
# kubelet asks for the pod sandbox (-998): restrict_oom_score_adj keeps it at containerd's own.
cat >"$dir/containerd/config.toml" <<CONFIG
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$socket"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$dir/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
CONFIG
echo '{ "cniVersion": "1.0.0", "name": "titelive-loopback", "plugins": [ { "type": "loopback" } ] }' >"$dir/cni/10-loopback.conflist"

cat >"$dir/kubelet/config.yaml" <<CONFIG
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: { anonymous: { enabled: true }, webhook: { enabled: false } }
authorization: { mode: AlwaysAllow }
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$socket
address: 127.0.0.1
port: ${KUBELET_PORT:-10250}
readOnlyPort: 0
healthzPort: 0
podLogsDir: $dir/pods-logs
resolvConf: /etc/resolv.conf
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
enforceNodeAllocatable: []
serializeImagePulls: false
CONFIG

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # The containers' shims outlive containerd: stop them too.
  pkill -f "containerd-shim-runc-v2 -namespace k8s.io -address $socket" 2>/dev/null || true
  # The kubelet binds its root onto itself and mounts the pods' volumes: leave no mount behind.
  findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r target; do umount -l "$target" 2>/dev/null || true; done
  rm -f "$dir/ready"
}
trap stop EXIT INT TERM

containerd --config "$dir/containerd/config.toml" >"$dir/containerd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [[ -S $socket ]] && break; sleep 0.1; done
for archive in "$ROOT"/tools/image/*.oci.tar; do
  ctr --address "$socket" -n k8s.io images import "$archive" >/dev/null
done

"$TOOLS_BIN/kubelet" --config "$dir/kubelet/config.yaml" --kubeconfig "$kubeconfig" \
  --hostname-override "$NODE_NAME" \
  --root-dir "$dir/kubelet/root" --cert-dir "$dir/kubelet/pki" >"$dir/kubelet.log" 2>&1 &
pids+=($!)

node_ready() {
  [[ $(KUBECONFIG=$kubeconfig "$KUBECTL" get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
wait_ready node "$dir/kubelet.log" node_ready || exit 1
echo "$socket" >"$dir/ready"
echo "node: $NODE_NAME Ready; containerd at $socket" >&2
wait -n "${pids[@]}" || true
echo "node: a process exited; see the logs in $dir" >&2
exit 1
