#!/usr/bin/env bash
# Sets up Podman as the container engine on a Debian host without Docker: installs podman and
# runc, writes the containers.conf settings this kind of host needs, and starts the Docker-
# compatible API service on /run/podman/podman.sock (what dockerode talks to). Idempotent.
#   crun fails on hybrid cgroups here -> runc; the default nofile ulimit fails with setrlimit EPERM
#   -> no default ulimits; systemd is not PID 1 -> cgroupfs.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
SOCKET=/run/podman/podman.sock

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "setup-podman: a Docker engine already answers; nothing to do."
  exit 0
fi

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  echo "setup-podman: installing podman and runc"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends podman runc uidmap slirp4netns fuse-overlayfs >/dev/null
fi

CONF=/etc/containers/containers.conf
if ! grep -q 'bench-harness' "$CONF" 2>/dev/null; then
  echo "setup-podman: writing $CONF"
  $SUDO mkdir -p /etc/containers
  $SUDO tee "$CONF" >/dev/null <<'CONF'
# Written by the bench harness (docker/setup-podman.sh).
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
CONF
fi

if curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; then
  echo "setup-podman: the API already answers on $SOCKET"
else
  echo "setup-podman: starting podman system service on $SOCKET"
  $SUDO mkdir -p "$(dirname "$SOCKET")"
  nohup $SUDO podman system service --time=0 "unix://$SOCKET" >/tmp/podman-service.log 2>&1 &
  for _ in $(seq 1 50); do
    curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null || { echo "setup-podman: the service did not answer; see /tmp/podman-service.log" >&2; exit 1; }
fi
echo "setup-podman: ready (DOCKER_HOST=unix://$SOCKET)"
