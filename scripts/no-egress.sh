#!/usr/bin/env bash
# Runs commands in a network namespace where only loopback answers, and proves that nothing in it
# tried to reach any other address:
#
#   scripts/no-egress.sh run CMD [ARG...]   CMD in a fresh namespace; fails if CMD fails or reached out
#   scripts/no-egress.sh create NAME        a named one, /run/netns/NAME (podman --network ns:/run/netns/NAME,
#   scripts/no-egress.sh check NAME           ip netns exec NAME CMD); check fails if anything reached out
#   scripts/no-egress.sh delete NAME
#
# A namespace with only loopback would make an outbound connection fail quietly (an unreachable
# network), and a program that swallows the error would look offline while it tries to call home.
# So every other address is routed to loopback, and the firewall rejects it there and counts: an
# attempt fails at once, and the count must stay 0. That catches TCP, UDP (DNS to the resolver of
# /etc/resolv.conf included, unless it is a loopback address) and ICMP, IPv4 and IPv6.
# Needs ip (iproute2), iptables and unshare; root, or user namespaces for 'run'.
set -euo pipefail

die() { echo "no-egress: $*" >&2; exit 1; }
for tool in ip iptables ip6tables unshare; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install iproute2 iptables util-linux)"
done

# Inside the namespace: loopback up, every other destination routed to it and rejected there.
guard() {
  ip link set lo up
  # A source address of its own (TEST-NET-1): a reply to 127.0.0.1 from outside would be dropped
  # as martian, and the attempt would hang instead of failing.
  ip addr add 192.0.2.1/32 dev lo
  ip route add default dev lo src 192.0.2.1
  ip -6 route add default dev lo 2>/dev/null || true
  # A TCP attempt gets a reset at once rather than a timeout minutes later; the reset itself (to
  # our own address) passes.
  iptables -w -A OUTPUT -d 192.0.2.1 -j ACCEPT
  iptables -w -A OUTPUT -p tcp ! -d 127.0.0.0/8 -j REJECT --reject-with tcp-reset
  iptables -w -A OUTPUT ! -d 127.0.0.0/8 -j REJECT
  ip6tables -w -A OUTPUT -p tcp ! -d ::1 -j REJECT --reject-with tcp-reset 2>/dev/null || true
  ip6tables -w -A OUTPUT ! -d ::1 -j REJECT 2>/dev/null || true
}

# Inside the namespace: the number of packets the guard rejected.
attempts() {
  local v4 v6
  v4=$(iptables -w -L OUTPUT -v -n -x | awk '$3 == "REJECT" {n += $1} END {print n + 0}')
  v6=$(ip6tables -w -L OUTPUT -v -n -x 2>/dev/null | awk '$3 == "REJECT" {n += $1} END {print n + 0}')
  echo $((v4 + v6))
}

verdict() { # attempts, what
  [ "$1" = 0 ] || die "$2 tried to reach beyond loopback ($1 packets rejected): it must work offline"
}

case "${1:-}" in
  run)
    shift
    [ $# -gt 0 ] || die "usage: no-egress.sh run CMD [ARG...]"
    unshare_args=(--net)
    [ "$(id -u)" = 0 ] || unshare_args+=(--map-root-user)
    export -f guard attempts verdict die
    # shellcheck disable=SC2016
    exec unshare "${unshare_args[@]}" bash -c 'guard; rc=0; "$@" || rc=$?; verdict "$(attempts)" "$*"; exit "$rc"' no-egress "$@"
    ;;
  create)
    name=${2:?usage: no-egress.sh create NAME}
    ip netns add "$name"
    export -f guard
    ip netns exec "$name" bash -c guard
    ;;
  check)
    name=${2:?usage: no-egress.sh check NAME}
    export -f attempts
    verdict "$(ip netns exec "$name" bash -c attempts)" "something in network namespace $name"
    ;;
  delete)
    ip netns delete "${2:?usage: no-egress.sh delete NAME}"
    ;;
  *)
    die "usage: no-egress.sh run CMD [ARG...] | create NAME | check NAME | delete NAME"
    ;;
esac
