#!/usr/bin/env bash
# Installs the real services the tests talk to, at pinned versions, into ./tools (git-ignored).
# Idempotent: a tool already built at the pinned version is not built again.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/tools"
source scripts/lib/apt-install.sh
mkdir -p "$TOOLS/bin"

FAKE_GCS_SERVER_VERSION=v1.52.2
FERRETDB_VERSION=v1.24.0
HELM_VERSION=v3.16.4
# Kubernetes: the release of scripts/kube-tools/go.mod (kube-apiserver, kube-controller-manager,
# and kubectl when the machine has none), and its OpenAPI document for offline validation.
KUBERNETES_VERSION=$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' scripts/kube-tools/go.mod)

install_go_tool() { # name module version
  local name=$1 module=$2 version=$3 stamp="$TOOLS/bin/.$1.version"
  if [[ -x "$TOOLS/bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: Go is needed to build $name ($module@$version); install Go 1.22+ and rerun" >&2
    return 1
  fi
  echo "install-tools: building $name $version (first run only)…" >&2
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "$module@$version"
  echo "$version" >"$stamp"
}

# Helm stamped as its release build does: its version, and the Kubernetes version it targets
# (that of its client-go, 1.31 for Helm 3.16), so `helm template` checks the chart's kubeVersion
# against 1.31 instead of the 1.20 a plain `go install` leaves.
HELM_KUBE_MINOR=31
install_helm() {
  local version=$HELM_VERSION stamp="$TOOLS/bin/.helm.version" wanted="$HELM_VERSION+k8s1.$HELM_KUBE_MINOR"
  if [[ -x "$TOOLS/bin/helm" && "$(cat "$stamp" 2>/dev/null)" == "$wanted" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: Go is needed to build helm $version; install Go 1.22+ and rerun" >&2
    return 1
  fi
  echo "install-tools: building helm $version (first run only)…" >&2
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
  for package in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $package.k8sVersionMajor=1 -X $package.k8sVersionMinor=$HELM_KUBE_MINOR"
  done
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version"
  echo "$wanted" >"$stamp"
}

# The folder of a Go module's source in the module cache (downloaded if needed).
module_dir() {
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# FerretDB (a MongoDB-compatible server on SQLite) is built from its module source: `go install`
# stops on the module proxy's refusal to list FerretDB's versions, and the binary wants its
# version written in build/version/version.txt, as its own release build does.
install_ferretdb() {
  local version=$FERRETDB_VERSION stamp="$TOOLS/bin/.ferretdb.version"
  if [[ -x "$TOOLS/bin/ferretdb" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: Go is needed to build FerretDB $version; install Go 1.22+ and rerun" >&2
    return 1
  fi
  echo "install-tools: building FerretDB $version (first run only, about two minutes)…" >&2
  local source dir
  source=$(module_dir "github.com/FerretDB/FerretDB@$version")
  dir="$TOOLS/src/ferretdb-$version"
  rm -rf "$dir" && mkdir -p "$TOOLS/src" && cp -r "$source" "$dir" && chmod -R u+w "$dir"
  echo "$version" >"$dir/build/version/version.txt"
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -o "$TOOLS/bin/ferretdb" ./cmd/ferretdb)
  rm -rf "$dir"
  echo "$version" >"$stamp"
}

# kube-apiserver, kube-controller-manager, kube-scheduler and kubelet for the cluster tests, built from the Go module
# k8s.io/kubernetes (scripts/kube-tools pins it and maps its staging modules to published ones),
# with the version the API server reports stamped in as the release build does.
install_kubernetes() {
  local version=$KUBERNETES_VERSION stamp="$TOOLS/bin/.kubernetes.version"
  local wanted=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
  command -v kubectl >/dev/null 2>&1 || wanted+=(kubectl)
  local have=1
  for name in "${wanted[@]}"; do [[ -x "$TOOLS/bin/$name" ]] || have=0; done
  if [[ $have == 1 && -f "$TOOLS/kubernetes/swagger.json" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: Go is needed to build Kubernetes $version; install Go 1.22+ and rerun" >&2
    return 1
  fi
  echo "install-tools: building ${wanted[*]} $version (first run only, a few minutes)…" >&2
  local minor=${version#v1.}; minor=${minor%%.*}
  local ldflags="-s -w"
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $package.gitVersion=$version -X $package.gitMajor=1 -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
  done
  for name in "${wanted[@]}"; do
    (cd scripts/kube-tools && GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$TOOLS/bin/$name" "k8s.io/kubernetes/cmd/$name")
  done
  local source
  source=$(cd scripts/kube-tools && module_dir "k8s.io/kubernetes@$version")
  install -D -m 0644 "$source/api/openapi-spec/swagger.json" "$TOOLS/kubernetes/swagger.json"
  echo "$version" >"$stamp"
}

# Prometheus and its Pushgateway for the metrics test, etcd for the control plane, the node and image tools: the Debian packages (promtool comes with
# prometheus). Installed with apt-get when missing and allowed (root); otherwise say what to do.
install_debian_packages() {
  local missing=()
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
  # The node of the real-pod tests (scripts/node.sh) and the image build (scripts/build-image.sh).
  command -v containerd >/dev/null 2>&1 || missing+=(containerd)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  [[ -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  command -v buildah >/dev/null 2>&1 || missing+=(buildah uidmap fuse-overlayfs)
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  apt_install install-tools "${missing[@]}"
}

# Python readers for the cross-implementation Parquet tests (pandas writes the seed's format).
PYTHON_PACKAGES=(pyarrow==26.0.1 duckdb==2.0.0 pandas==2.3.3)
install_python_packages() {
  local stamp="$TOOLS/python/.version" wanted="${PYTHON_PACKAGES[*]}"
  if [[ "$(cat "$stamp" 2>/dev/null)" == "$wanted" ]]; then return 0; fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "install-tools: python3 is needed for the Parquet cross-reader tests; install Python 3.10+ and rerun" >&2
    return 1
  fi
  echo "install-tools: installing ${wanted} into tools/python…" >&2
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/python" --upgrade "${PYTHON_PACKAGES[@]}"
  echo "$wanted" >"$stamp"
}

# `install-tools.sh ferretdb`: only the MongoDB-compatible server that `npm run demo` loads into.
if [[ "${1:-}" == ferretdb ]]; then
  install_ferretdb
  exit 0
fi

install_python_packages
install_go_tool fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_SERVER_VERSION"
install_helm
install_ferretdb
install_kubernetes
install_debian_packages
bash scripts/build-image.sh
echo "install-tools: tools ready in $TOOLS/bin" >&2
