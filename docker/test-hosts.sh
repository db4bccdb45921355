#!/usr/bin/env bash
# Test hosts for several-host runs (issue 21), on one machine: N network namespaces joined by veth
# pairs to a bridge on a private test subnet, each with its own Podman API service (its own image
# storage, so hosts share no images) answering on tcp:// and, through the host's own sshd, on
# ssh:// the way Docker users reach a remote engine (dockerode runs `docker system dial-stdio` on
# the far side, which the Docker CLI points at that host's Podman socket).
#
#   docker/test-hosts.sh up N     create hosts 1..N and print each one's engine addresses
#   docker/test-hosts.sh status   print the addresses of the hosts that are up
#   docker/test-hosts.sh rate I R [D]  limit what host I receives to R (e.g. 100mbit, 1gbit: a
#                                 token bucket, tc tbf, on its link), or lift the limit with R = off;
#                                 D (e.g. 20ms) also delays it, where the kernel has netem
#   docker/test-hosts.sh down     stop and remove everything `up` made (containers, images,
#                                 engines, sshd, namespaces, links, folders)
#
# Needs root (namespaces and links), podman, the Docker CLI (for dial-stdio only: no Docker engine),
# iproute2 and openssh-server. BENCH_TEST_HOSTS_DIR, BENCH_TEST_SUBNET (three octets) and
# BENCH_TEST_HOSTS_PREFIX (up to 6 characters) let several sets of hosts stand side by side;
# BENCH_TEST_HOSTS_SSH=0 makes hosts without sshd (reached by tcp:// and the socket only), which
# then need neither openssh nor the Docker CLI.
# Traffic on the test subnet stays between this machine's root
# namespace and the hosts; nothing is routed beyond them.
set -euo pipefail

DIR=${BENCH_TEST_HOSTS_DIR:-/tmp/bench-test-hosts}
NET=${BENCH_TEST_SUBNET:-10.213.0}
# Names of the bridge and namespaces: another prefix lets a second set of hosts (a test's) stand beside.
PREFIX=${BENCH_TEST_HOSTS_PREFIX:-bench-t}
BRIDGE=${PREFIX}br
SSH=${BENCH_TEST_HOSTS_SSH:-1}
NS_PREFIX=${PREFIX}h

die() { echo "test-hosts: $*" >&2; exit 1; }

need() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces and links): run it with sudo."
  local missing=()
  command -v ip >/dev/null || missing+=("iproute2 (ip)")
  command -v tc >/dev/null || missing+=("iproute2 (tc)")
  command -v podman >/dev/null || missing+=("podman (bash docker/setup-podman.sh)")
  if [ "$SSH" = 1 ]; then
    command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=("openssh-server (sshd)")
    command -v ssh-keygen >/dev/null || missing+=("openssh-client (ssh-keygen)")
    command -v docker >/dev/null || missing+=("the Docker CLI, for docker system dial-stdio on the ssh:// side (Debian: docker.io or docker-cli; no Docker engine is needed)")
  fi
  [ ${#missing[@]} = 0 ] || die "missing: ${missing[*]}. Install them, e.g. sudo apt-get install -y iproute2 openssh-server openssh-client."
}

hosts() { [ -d "$DIR" ] && find "$DIR" -maxdepth 1 -name 'host*' -type d -printf '%f\n' | sed 's/^host//' | sort -n; return 0; }

address() { echo "host$1 tcp://$NET.$1:2375 ssh://root@$NET.$1"; }

podman_on() { local h=$DIR/host$1; podman --root "$h/storage" --runroot "$h/run" --tmpdir "$h/tmp" "${@:2}"; }

# Runs a command in the background in a session of its own, with no descriptor of ours open (a
# caller reading our output must not wait for it), its output to a log, its pid to a file.
detach() {
  local log=$1 pids=$2
  shift 2
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    cd "$(dirname "$log")" && exec setsid "$@" >>"$log" 2>&1 </dev/null
  ) &
  echo $! >>"$pids"
}

wait_for() {
  for _ in $(seq 1 100); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}

up_host() {
  local i=$1 h=$DIR/host$1 ns=$NS_PREFIX$1 ip=$NET.$1
  mkdir -p "$h/storage" "$h/run" "$h/tmp" "$h/bin"
  ip netns add "$ns"
  ip link add "${ns}v" type veth peer name eth0 netns "$ns"
  ip link set "${ns}v" master "$BRIDGE"
  ip link set "${ns}v" up
  ip netns exec "$ns" ip addr add "$ip/24" dev eth0
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip link set lo up
  # nsenter --net keeps this machine's mount namespace (ip netns exec would remount /sys and hide
  # the cgroup mounts runc needs). One service on tcp://, one on the socket that ssh:// reaches.
  for uri in "tcp://$ip:2375" "unix://$h/podman.sock"; do
    detach "$h/engine.log" "$h/pids" nsenter --net="/run/netns/$ns" podman --root "$h/storage" --runroot "$h/run" --tmpdir "$h/tmp" \
      system service --time 0 "$uri"
  done
  wait_for "curl -sf -o /dev/null http://$ip:2375/_ping" || die "host$i: the engine on tcp://$ip:2375 did not answer; see $h/engine.log"
  wait_for "[ -S $h/podman.sock ]" || die "host$i: the engine socket $h/podman.sock did not appear; see $h/engine.log"
  [ "$SSH" = 1 ] || return 0
  ssh-keygen -q -t ed25519 -N '' -f "$h/host_key" <<<y >/dev/null
  cat >"$h/sshd_config" <<EOF
ListenAddress $ip:22
HostKey $h/host_key
PidFile $h/sshd.pid
AuthorizedKeysFile $DIR/id_ed25519.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=unix://$h/podman.sock
EOF
  mkdir -p /run/sshd
  detach "$h/sshd.log" "$h/pids" nsenter --net="/run/netns/$ns" "$(command -v sshd || echo /usr/sbin/sshd)" -D -f "$h/sshd_config" -E "$h/sshd.log"
  echo "$ip $(cut -d' ' -f1,2 "$h/host_key.pub")" >>"$DIR/known_hosts"
}

down_host() {
  local i=$1 h=$DIR/host$1 ns=$NS_PREFIX$1
  # Containers and images first, through the host's own storage, so no overlay mount outlives it.
  podman_on "$i" rm -af -t 0 >/dev/null 2>&1 || true
  podman_on "$i" system reset -f >/dev/null 2>&1 || true
  [ -f "$h/sshd.pid" ] && kill "$(cat "$h/sshd.pid")" 2>/dev/null || true
  if [ -f "$h/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$h/pids"
  fi
  # Whatever else still runs in the namespace (a service's children, a container's conmon).
  ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  grep " $h/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  ip link del "${ns}v" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$h"
}

case "${1:-}" in
  up)
    n=${2:-}
    [[ $n =~ ^[1-9][0-9]?$ ]] || die "up takes the number of hosts, 1 to 99: docker/test-hosts.sh up 3"
    need
    [ -z "$(hosts)" ] || die "hosts are already up in $DIR (docker/test-hosts.sh down first)."
    mkdir -p "$DIR"
    [ "$SSH" = 1 ] && ssh-keygen -q -t ed25519 -N '' -C bench-test-hosts -f "$DIR/id_ed25519" <<<y >/dev/null
    : >"$DIR/known_hosts"
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.254/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    trap 'echo "test-hosts: up failed; removing what it made" >&2; "$0" down >/dev/null 2>&1' ERR
    for i in $(seq 1 "$n"); do up_host "$i"; done
    trap - ERR
    for i in $(seq 1 "$n"); do address "$i"; done
    echo "key $DIR/id_ed25519"
    echo "known_hosts $DIR/known_hosts"
    ;;
  status)
    for i in $(hosts); do address "$i"; done
    [ -z "$(hosts)" ] || { echo "key $DIR/id_ed25519"; echo "known_hosts $DIR/known_hosts"; }
    ;;
  rate)
    i=${2:-} r=${3:-} d=${4:-}
    [[ $i =~ ^[1-9][0-9]?$ ]] && [ -d "$DIR/host$i" ] || die "rate takes a host that is up and a rate: docker/test-hosts.sh rate 1 100mbit (or off)."
    dev=$NS_PREFIX${i}v
    if [ "$r" = off ]; then
      tc qdisc del dev "$dev" root 2>/dev/null || true
    else
      [[ $r =~ ^([1-9][0-9]*)(kbit|mbit|gbit)$ ]] || die "rate: \"$r\" is not a rate such as 500kbit, 100mbit or 1gbit (or off)."
      [ -z "$d" ] || [[ $d =~ ^[1-9][0-9]*ms$ ]] || die "rate: \"$d\" is not a delay such as 20ms."
      n=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
      case $unit in kbit) scale=1000 ;; mbit) scale=1000000 ;; *) scale=1000000000 ;; esac
      bits=$((n * scale))
      # The bucket holds 10 ms at the rate (at least 32 KiB): a smaller one cannot reach the rate
      # at the kernel's timer granularity; a bigger one lets bursts pass above it.
      burst=$(( bits / 800 > 32768 ? bits / 800 : 32768 ))
      if [ -n "$d" ]; then
        # The delay at the root, the bucket below it (netem is classful).
        tc qdisc replace dev "$dev" root handle 1: netem delay "$d" 2>/dev/null ||
          die "rate: this kernel has no netem (sch_netem), so no delay can be added; leave the delay out."
        tc qdisc add dev "$dev" parent 1:1 handle 10: tbf rate "$r" burst "$burst" latency 50ms
      else
        tc qdisc replace dev "$dev" root tbf rate "$r" burst "$burst" latency 50ms
      fi
    fi
    tc qdisc show dev "$dev" | head -1
    ;;
  down)
    [ "$(id -u)" = 0 ] || die "needs root: run it with sudo."
    for i in $(hosts); do down_host "$i"; done
    # Namespaces or links left by an up that died before writing its folder.
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS_PREFIX" || true); do ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true; ip netns del "$ns"; done
    ip link del "$BRIDGE" 2>/dev/null || true
    rm -rf "$DIR"
    ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
