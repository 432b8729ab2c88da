#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback, without containers: etcd, kube-apiserver,
# (unless CONTROLLER_MANAGER=0) kube-controller-manager and (with SCHEDULER=1) kube-scheduler,
# built at a pinned release by scripts/install-tools.sh. There is no kubelet: Pods are created
# but never run, unless scripts/node.sh adds a node.
#
#   bash scripts/control-plane.sh DIR        # runs until stopped (Ctrl-C / SIGTERM)
#   KUBECONFIG=DIR/kubeconfig kubectl get namespaces
#
# DIR receives the certificates, the admin kubeconfig (a static token in group system:masters),
# the logs of each process, and a file named `ready` once the API server answers. Ports are free
# loopback ports chosen at start (or API_PORT / ETCD_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-ready.sh
TOOLS_BIN="$PWD/tools/bin"
dir=${1:?usage: control-plane.sh DIR}
mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
rm -f "$dir/ready"

for binary in kube-apiserver kube-controller-manager; do
  if [[ ! -x "$TOOLS_BIN/$binary" ]]; then
    echo "control-plane: $TOOLS_BIN/$binary is missing; run: bash scripts/install-tools.sh" >&2
    exit 2
  fi
done
ETCD=$(command -v etcd || true)
if [[ -z "$ETCD" ]]; then
  echo "control-plane: etcd is missing; run: bash scripts/install-tools.sh (Debian package etcd-server)" >&2
  exit 2
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
API_PORT=${API_PORT:-$(free_port)}
ETCD_PORT=${ETCD_PORT:-$(free_port)}
ETCD_PEER_PORT=$(free_port)

# Service account token signing key, and the admin's static token.
[[ -f "$dir/sa.key" ]] || openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
token=$(openssl rand -hex 24)
echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$dir/ready"
}
trap stop EXIT INT TERM

rm -rf "$dir/etcd-data"
"$ETCD" --name control-plane --data-dir "$dir/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "control-plane=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync >"$dir/etcd.log" 2>&1 &
pids+=($!)

# A self-signed serving certificate is generated into --cert-dir for the bind address.
"$TOOLS_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --cert-dir "$dir/certs" \
  --token-auth-file "$dir/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --enable-priority-and-fairness=false --endpoint-reconciler-type none \
  >"$dir/kube-apiserver.log" 2>&1 &
pids+=($!)

umask 077
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$API_PORT
      certificate-authority: $dir/certs/apiserver.crt
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: local
    context: { cluster: local, user: admin, namespace: default }
current-context: local
EOF

# Ready when the API server says so (bounded: 120 s).
api_ready() { curl -sf --cacert "$dir/certs/apiserver.crt" -H "Authorization: Bearer $token" "https://127.0.0.1:$API_PORT/readyz"; }
wait_ready control-plane "$dir/kube-apiserver.log" api_ready || exit 1

if [[ "${CONTROLLER_MANAGER:-1}" != 0 ]]; then
  # Job, CronJob, garbage collector, TTL and ServiceAccount controllers, among the defaults.
  "$TOOLS_BIN/kube-controller-manager" \
    --kubeconfig "$dir/kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 \
    --service-account-private-key-file "$dir/sa.key" --root-ca-file "$dir/certs/apiserver.crt" \
    --use-service-account-credentials=false \
    >"$dir/kube-controller-manager.log" 2>&1 &
  pids+=($!)
fi

if [[ "${SCHEDULER:-0}" == 1 ]]; then
  "$TOOLS_BIN/kube-scheduler" --kubeconfig "$dir/kubeconfig" --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 \
    >"$dir/kube-scheduler.log" 2>&1 &
  pids+=($!)
fi

echo "https://127.0.0.1:$API_PORT" >"$dir/ready"
echo "control-plane: API server at https://127.0.0.1:$API_PORT; KUBECONFIG=$dir/kubeconfig" >&2
wait -n "${pids[@]}" || true
echo "control-plane: a process exited; see the logs in $dir" >&2
exit 1
