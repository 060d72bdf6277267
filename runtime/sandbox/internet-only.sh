# The setup half of runtime/sandbox/network.ts's internetOnlyPrefix: bash -c "$(this file)" vibn-internet-only
# outer <IPv4 ip-batch> <IPv6 ip-batch> <resolv.conf> <slirp4netns> <verbose 0|1> <argv…>
#
# Run twice. "outer", in the caller's namespaces, starts a watcher (a process substitution, so a child of this
# very process) that waits for this process to enter new namespaces and attaches slirp4netns to them, then
# re-executes this script with unshare. "inner", root in the new namespaces, waits for slirp4netns's ready
# byte, installs the routes, binds the resolv.conf and execs the argv. Every exec keeps the pid.
#
# slirp4netns ends when the write end of its exit pipe (fd 7) is closed everywhere: this process and what it
# execs hold it, bwrap passes it on to the command, and the kernel closes it when bwrap and its PID namespace
# are gone. (A parent-death signal would not do: bwrap runs as the sandbox user by then, and the kernel does
# not let a dying process signal a root one.) Killing the process group kills slirp4netns with the rest.
set -u
phase=$1 batch4=$2 batch6=$3 resolv=$4 slirp=$5 verbose=$6
shift 6
fail() { echo "The network for this command could not be set up: $1" >&2; exit 1; }

if [ "$phase" = outer ]; then
  # Root owns the new namespace from the host; anyone else gets a user namespace of their own to be root in.
  if [ "$EUID" = 0 ]; then userns=0; else userns=1; fi
  me=$$ own_net=$(readlink /proc/self/ns/net) own_user=$(readlink /proc/self/ns/user)
  exec 7<> <(:)
  exec 4< <(
    trap '' INT QUIT TSTP
    exec </dev/null 8</proc/self/fd/7 7>&-
    [ "$verbose" = 1 ] || exec 2>/dev/null
    for ((i = 0; i < 1000; i++)); do
      net=$(readlink /proc/$me/ns/net) && user=$(readlink /proc/$me/ns/user) || exit 1
      if [ "$net" != "$own_net" ] && { [ $userns = 0 ] || [ "$user" != "$own_user" ]; }; then break; fi
      sleep 0.01
    done
    # Opened, then checked: had this process died and its pid gone to a host process, these would be ours.
    exec 5<"/proc/$me/ns/net" || exit 1
    [ "$(readlink /proc/self/fd/5)" != "$own_net" ] || exit 1
    # No DNS and no host alias: 10.0.2.3 and 10.0.2.2 would lead to the host's resolver and loopback.
    opts=(--configure --mtu=65520 --disable-host-loopback --disable-dns --enable-seccomp --ready-fd=3 --exit-fd=8)
    if [ $userns = 1 ]; then
      exec 6<"/proc/$me/ns/user" || exit 1
      [ "$(readlink /proc/self/fd/6)" != "$own_user" ] || exit 1
      exec 3>&1 >/dev/null "$slirp" "${opts[@]}" --userns-path=/proc/self/fd/6 --netns-type=path /proc/self/fd/5 tap0
    fi
    # As root, --enable-sandbox drops every capability but CAP_NET_BIND_SERVICE and pivots into an empty root.
    # slirp4netns 1.2.0 then detaches the old root while mounts under /run still propagate to the host (it
    # unmounted /run/netns/* here), so it gets a private mount namespace first.
    exec 3>&1 >/dev/null unshare --mount --propagation private -- "$slirp" "${opts[@]}" --enable-sandbox --netns-type=path /proc/self/fd/5 tap0
  )
  namespaces=(--net --mount --propagation slave)
  [ $userns = 0 ] || namespaces=(--user --map-root-user "${namespaces[@]}")
  exec unshare "${namespaces[@]}" -- bash -c "$BASH_EXECUTION_STRING" vibn-internet-only "inner:$own_net" "$batch4" "$batch6" "$resolv" "$slirp" "$verbose" "$@"
fi

# Only ever in the namespaces made above: these routes must never land in the host's.
[ "${phase#inner:}" != "$phase" ] || fail "it was started wrongly"
[ "$phase" != "inner:$(readlink /proc/self/ns/net)" ] || fail "it ran outside its own network namespace"
IFS= read -r -t 10 -n 1 _ <&4 || fail "slirp4netns did not start"
exec 4<&-
printf '%s' "$batch4" | ip -batch - || fail "the IPv4 routes were refused"
printf '%s' "$batch6" | ip -6 -batch - || fail "the IPv6 routes were refused"
# Replies from an allowed resolver on a private address come from a source the block table calls local; the
# kernel's source check would drop them without this. And no IPv6 on tap0 at all, not even link-local.
echo 1 >/proc/sys/net/ipv4/conf/tap0/accept_local || fail "tap0 would not accept replies from the resolver"
echo 1 >/proc/sys/net/ipv6/conf/tap0/disable_ipv6 || fail "IPv6 could not be turned off on tap0"
if [ -e /etc/resolv.conf ]; then
  mount --bind "$resolv" /etc/resolv.conf || fail "the sandbox's resolv.conf could not be bound"
fi
exec "$@"
