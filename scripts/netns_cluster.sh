#!/usr/bin/env bash
# A simulated multi-host cluster on one machine: Linux network namespaces ("hosts") joined by veth
# pairs to a bridge that lives in its own namespace. Nothing changes in the root namespace; every
# namespace gets a per-run prefix and is removed (with only its own processes) on exit.
#
#   scripts/netns_cluster.sh HOSTS -- COMMAND...      # run COMMAND in host 1 with $MPIRUN_ARGS set
#
# Inside COMMAND: $CLUSTER_HOSTS (e.g. 10.77.3.1:1,10.77.3.2:1), $MPIRUN_ARGS (the mpirun options for
# this cluster: rsh agent mapping host → `ip netns exec`, TCP only on the private subnet, yielding
# ranks) and $CLUSTER_PREFIX (the namespaces are ${CLUSTER_PREFIX}h1, h2, ...).
# Needs root and iproute2. Exit status: COMMAND's (3 if the namespaces cannot be created).
set -uo pipefail
hosts=$1; shift
[ "${1:-}" = "--" ] && shift
prefix="ds$$x"
subnet_id=$(( ($$ % 200) + 20 ))
subnet="10.77.${subnet_id}"
workdir=$(mktemp -d)

cleanup() {
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${prefix}"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${prefix}"); do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$workdir"
}
trap cleanup EXIT

ip netns add "${prefix}br" 2>/dev/null || { echo "cannot create network namespaces (needs root and iproute2)" >&2; exit 3; }
ip -n "${prefix}br" link add br0 type bridge && ip -n "${prefix}br" link set br0 up || exit 3
list=""
agent="$workdir/agent.sh"
{
    echo '#!/bin/sh'
    echo '# rsh agent for mpirun: "agent [options] HOST COMMAND..." runs COMMAND in HOST'"'"'s namespace.'
    echo 'while [ $# -gt 0 ]; do case "$1" in -*) shift;; *) break;; esac; done'
    echo 'host=$1; shift'
    echo 'case "$host" in'
} > "$agent"
for i in $(seq 1 "$hosts"); do
    ns="${prefix}h${i}"
    ip netns add "$ns" || exit 3
    ip -n "$ns" link add eth0 type veth peer name "p${i}" netns "${prefix}br" || exit 3
    ip -n "${prefix}br" link set "p${i}" master br0 up
    ip -n "$ns" addr add "${subnet}.${i}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    list="${list:+$list,}${subnet}.${i}:1"
    # Every host gets its own temporary directory: OpenMPI's session directories are named after
    # the (shared) hostname and job, and daemons of one job on several namespace "hosts" of the same
    # machine would otherwise race to create the same directory ("File exists").
    mkdir -p "$workdir/tmp-h${i}"
    echo "  ${subnet}.${i}) exec ip netns exec ${ns} env TMPDIR=$workdir/tmp-h${i} sh -c \"\$*\";;" >> "$agent"
done
{ echo '  *) echo "unknown host $host" >&2; exit 1;;'; echo 'esac'; } >> "$agent"
chmod +x "$agent"

export CLUSTER_HOSTS="$list" CLUSTER_PREFIX="$prefix"
export MPIRUN_ARGS="--allow-run-as-root -H $list --mca plm_rsh_agent $agent --mca btl tcp,self --mca btl_tcp_if_include ${subnet}.0/24 --mca oob_tcp_if_include ${subnet}.0/24 --mca mpi_yield_when_idle 1"
ip netns exec "${prefix}h1" "$@"
