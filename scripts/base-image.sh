#!/usr/bin/env bash
# Prints the name of a Node.js base image usable for the project's images, making it when needed.
# Uses the normal base image when it is present or can be pulled; otherwise builds a minimal one
# from a Node.js 24 binary (scripts/node-runtime.sh) plus the shared libraries it links, so images build offline.
# ECSSD_NORMAL_BASE_IMAGE names the normal image, ECSSD_LOCAL_BASE_IMAGE the one made here.
# Safe to run several times at once and after a run killed half-way: the image is made under a machine-wide
# lock (the Docker engine is the machine's), imported under a temporary name, and given its real name only
# once a container of it has run node; a waiting run then finds it and prints the same name.
set -euo pipefail
normal="${ECSSD_NORMAL_BASE_IMAGE:-node:24-bookworm-slim}"
# The offline base carries the Node.js 24 binary from the npm registry's `node` package, whatever node runs here.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/lock.sh
. "$here/scripts/lib/lock.sh"
node_bin="$(bash "$here/scripts/node-runtime.sh" 24)"
local_name="${ECSSD_LOCAL_BASE_IMAGE:-ecssd/node-base:$("$node_bin" -p 'process.versions.node')}"
# Imports in progress carry this repository name; a killed run's are found and removed by it.
importing_repo="ecssd/node-base-importing"

present() { docker image inspect "$1" >/dev/null 2>&1; }
if present "$normal"; then echo "$normal"; exit 0; fi
if present "$local_name"; then echo "$local_name"; exit 0; fi

hold_lock "$(machine_lock_dir)/ecssd-base-image.lock" "the base image"
# Another run may have pulled or made it while this one waited.
if present "$normal"; then echo "$normal"; exit 0; fi
if present "$local_name"; then echo "$local_name"; exit 0; fi
if timeout 20 docker pull -q "$normal" >/dev/null 2>&1; then echo "$normal"; exit 0; fi

# An import's temporary tag names its machine and process. One of this machine whose process is gone is a
# killed run's; another machine's (a CI container sharing this engine, under a lock of its own) is left alone.
host="$(hostname | tr -c 'a-zA-Z0-9_.\n-' '-' | cut -c1-64)"
for tag in $(docker image ls --format '{{.Tag}}' "$importing_repo" 2>/dev/null || true); do
  case "$tag" in
    "$host"-*)
      pid="${tag#"$host"-}"; pid="${pid%%-*}"
      kill -0 "$pid" 2>/dev/null || docker image rm -f "$importing_repo:$tag" >/dev/null 2>&1 || true
      ;;
  esac
done

work="$(mktemp -d)"
importing="$importing_repo:$host-$$-$RANDOM"
on_exit 'rm -rf "$work"; docker image rm -f "$importing" >/dev/null 2>&1'
root="$work/root"
node_bin="$(readlink -f "$node_bin")"
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc" "$root/app" "$root/home/node"
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
# The dynamic loader and every library node links against, at their own paths.
for lib in $(ldd "$node_bin" | grep -oE '/[^ ]+'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
[ -d /etc/ssl/certs ] && mkdir -p "$root/etc/ssl" && cp -rL /etc/ssl/certs "$root/etc/ssl/certs"
chown 1000:1000 "$root/home/node"
# The archive is written whole before the import reads it: a stream cut short between two files is a
# valid archive to the importer, and would make an image without the rest.
tar -C "$root" -cf "$work/root.tar" .
docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production' \
  -c 'WORKDIR /app' -c 'CMD ["node"]' "$work/root.tar" "$importing" >/dev/null
if ! docker run --rm --network none "$importing" node -e 'process.exit(0)' >/dev/null; then
  echo "base-image: the image made from Node.js $("$node_bin" -v) does not run node" >&2
  exit 1
fi
docker tag "$importing" "$local_name"
echo "$local_name"
