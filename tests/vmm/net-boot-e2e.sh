#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/net-boot-e2e.sh NITROCHECK [KVER]
#
# `nitrocheck boot --kernel` with the ENA NIC (issue 6), a Debian kernel and a
# busybox initramfs (tests/vmm/ena-guest-init: insmod ena.ko, udhcpc, GET
# from IMDS):
# - with ena.ko: the network milestones ENA probed -> interface up -> DHCP
#   request -> lease (172.31.16.5) -> IMDS contacted, in order, with the
#   instance-id path listed and --mac/--instance-type served by IMDS;
# - without ena.ko: the network fails at "ENA probed", cause: no module.
# Two short boots; inside the KVM lab when there is no /dev/kvm.
set -euo pipefail

NITROCHECK=$(realpath "$1")
KVER=${2:-6.1.0-56-amd64}
SRC=${NC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# Not under /tmp: the lab gives the command a fresh tmpfs there.
WORK=${NC_BUILD_ROOT:-$SRC/build}/tests/net-boot-e2e
mkdir -p "$WORK"
WORK=$(realpath "$WORK")

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -r "/boot/vmlinuz-$KVER" ] || { echo "SKIP: no /boot/vmlinuz-$KVER"; exit 77; }

# initrd OUT WITH_ENA
initrd() {
	local r
	r=$(mktemp -d)
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in sh mount insmod ip ifconfig route udhcpc sleep cat basename readlink awk \
		 poweroff echo nc printf head tail grep tr; do
		ln -s busybox "$r/bin/$a"
	done
	cp "$SRC/tests/vmm/ena-guest-init" "$r/init"
	cp "$SRC/tests/vmm/ena-udhcpc.script" "$r/udhcpc.script"
	if [ "$2" = yes ]; then
		modinfo -k "$KVER" -n ena | xargs -I{} sh -c 'case {} in *.xz) xz -dc {} ;; *.zst) zstd -dc {} ;; *) cat {} ;; esac' >"$r/ena.ko"
	fi
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$1"
	rm -rf "$r"
}
initrd "$WORK/ena.gz" yes
initrd "$WORK/no-ena.gz" no

run=()
if [ ! -w /dev/kvm ]; then
	echo "no /dev/kvm here: running inside the KVM lab" >&2
	run=(env KVMLAB_SHARE="$WORK" KVMLAB_TIMEOUT=600 "$SRC/tests/kvmlab/run")
fi

# boot NAME INITRD ARGS...: the JSON report in $WORK/NAME.json
boot() {
	local name=$1 initrd=$2
	shift 2
	set +e
	"${run[@]}" "$NITROCHECK" boot --kernel "/boot/vmlinuz-$KVER" --initrd "$initrd" \
		--timeout 300 --format json --console "$@" >"$WORK/$name.json" 2>"$WORK/$name.console"
	echo "$name: exit status $?; report $WORK/$name.json" >&2
	set -e
	[ -s "$WORK/$name.json" ] || { tail -n 30 "$WORK/$name.console" >&2; fail "$name: no report"; }
}

boot ena "$WORK/ena.gz" --mac 0a:1b:2c:3d:4e:01 --instance-type c5.xlarge
python3 - "$WORK/ena.json" "$WORK/ena.console" <<'PY' || fail "ena: network milestones"
import json, sys
net = json.load(open(sys.argv[1]))["network"]
console = open(sys.argv[2], errors="replace").read()
ms = net["milestones"]
names = [m["name"] for m in ms]
assert names == ["ena-probed", "ena-io-queues", "dhcp-request", "dhcp-ack", "imds"], names
assert all(m["reached"] for m in ms), ms
ats = [m["at"] for m in ms]
assert ats == sorted(ats), ats
assert ms[3]["detail"] == "172.31.16.5", ms[3]
assert "GET /latest/meta-data/instance-id" in net["imds_paths"], net["imds_paths"]
assert net["failed_milestone"] is None and net["cause"] is None, net
assert "NC-IMDS-MAC: 0a:1b:2c:3d:4e:01" in console, "IMDS did not serve --mac"
assert "NC-LEASE: ip=172.31.16.5 subnet=255.255.0.0 router=172.31.0.1" in console
for m in ms:
    print("  %8.3f s  %s" % (m["at"], m["label"]))
print("  IMDS paths:", ", ".join(net["imds_paths"]))
PY

boot no-ena "$WORK/no-ena.gz"
python3 - "$WORK/no-ena.json" <<'PY' || fail "no-ena: network failure"
import json, sys
net = json.load(open(sys.argv[1]))["network"]
assert net["failed_milestone"] == "ena-probed", net
assert "ena module is missing" in net["cause"], net["cause"]
assert not any(m["reached"] for m in net["milestones"]), net
print("  failed at ENA probed:", net["cause"])
PY
echo "PASS"
