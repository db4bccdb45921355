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
if ! grep -q 'Written by the bench harness' "$CONF" 2>/dev/null; then
  echo "setup-podman: writing $CONF"
  $SUDO mkdir -p /etc/containers
  if [ -f "$CONF" ]; then
    $SUDO cp "$CONF" "$CONF.before-bench"
    echo "setup-podman: your previous $CONF is kept as $CONF.before-bench"
  fi
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

# A service whose working directory was deleted (say, started from a clone since removed) still
# answers pings, but conmon inherits that directory and every container start fails with
# "write child: broken pipe": restart it.
service_pid=""
for proc in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline" || true)
  [[ $cmd == "podman system service "*"unix://$SOCKET"* ]] && service_pid=${proc#/proc/}
done
if [ -n "$service_pid" ] && $SUDO readlink "/proc/$service_pid/cwd" | grep -q '(deleted)$'; then
  echo "setup-podman: restarting the API service (its working directory was deleted)"
  $SUDO kill "$service_pid"
  for _ in $(seq 1 50); do
    $SUDO kill -0 "$service_pid" 2>/dev/null || break
    sleep 0.2
  done
fi

if curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; then
  echo "setup-podman: the API already answers on $SOCKET"
else
  echo "setup-podman: starting podman system service on $SOCKET"
  $SUDO mkdir -p "$(dirname "$SOCKET")"
  # From /, so that removing the directory this script ran in cannot break the service (see above).
  (cd / && nohup $SUDO podman system service --time=0 "unix://$SOCKET" >/tmp/podman-service.log 2>&1 &)
  for _ in $(seq 1 50); do
    curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null || { echo "setup-podman: the service did not answer; see /tmp/podman-service.log" >&2; exit 1; }
fi
echo "setup-podman: ready (DOCKER_HOST=unix://$SOCKET)"
