#!/usr/bin/env bash
# Prints the name of a Node.js base image usable for the project's images, making it when needed.
# Uses the normal base image when it is present or can be pulled; otherwise builds a minimal one
# from a Node.js 24 binary (scripts/node-runtime.sh) plus the shared libraries it links, so images build offline.
set -euo pipefail
normal="${ECSSD_NORMAL_BASE_IMAGE:-node:24-bookworm-slim}"
# The offline base carries the Node.js 24 binary from the npm registry's `node` package, whatever node runs here.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_bin="$(bash "$here/scripts/node-runtime.sh" 24)"
local_name="ecssd/node-base:$("$node_bin" -p 'process.versions.node')"

if docker image inspect "$normal" >/dev/null 2>&1; then echo "$normal"; exit 0; fi
if docker image inspect "$local_name" >/dev/null 2>&1; then echo "$local_name"; exit 0; fi
if timeout 20 docker pull -q "$normal" >/dev/null 2>&1; then echo "$normal"; exit 0; fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
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
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production' \
  -c 'WORKDIR /app' -c 'CMD ["node"]' - "$local_name" >/dev/null
echo "$local_name"
