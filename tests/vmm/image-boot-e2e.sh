#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/image-boot-e2e.sh NITROCHECK
#
# End to end `nitrocheck boot IMAGE` (issue 5) on the Debian 12 fixtures:
# - debian12-generic boots its own kernel, initramfs and command line to
#   multi-user with its root file system on the NVMe disk (exit 0, the
#   milestone chain in order with timestamps);
# - debian12-no-nvme-initrd fails at "NVMe controller enabled" with the
#   missing NVMe driver named as the cause (exit 1);
# - the image files sit on a share the lab mounts writable and their
#   sha256 is unchanged afterwards.
# Two full Debian boots; runs inside the KVM lab when there is no /dev/kvm.
set -euo pipefail

NITROCHECK=$(realpath "$1")
SRC=${NC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# Not under /tmp: the lab gives the command a fresh tmpfs there.
WORK=${NC_BUILD_ROOT:-$SRC/build}/tests/image-boot-e2e
# The lab mounts /var/tmp writable (KVMLAB_SHARE): libguestfs's appliance
# cache and supermin's scratch live there, and so do the image copies.
SHARE=/var/tmp/nitrocheck-image-boot-e2e
mkdir -p "$WORK" "$SHARE"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

run=()
if [ ! -w /dev/kvm ]; then
	echo "no /dev/kvm here: running inside the KVM lab" >&2
	# TMPDIR inside: the disk overlay cannot be sized on the 9p share.
	run=(env KVMLAB_SHARE=/var/tmp KVMLAB_TIMEOUT=1200 "$SRC/tests/kvmlab/run" env TMPDIR=/tmp)
fi

# boot NAME EXPECTED_STATUS: copies the fixture to the writable share, boots
# it, checks the exit status and that the file is unchanged.
boot() {
	local name=$1 want=$2 src img rc
	src=$("$SRC/fixtures/build" "$name" 2>/dev/null | tail -n 1)
	[ -r "$src" ] || { echo "SKIP: fixture $name could not be built"; exit 77; }
	img=$SHARE/$name.qcow2
	cp --reflink=auto "$src" "$img"
	sha256sum "$img" >"$WORK/$name.sha256"
	set +e
	# --no-net: this test is the NVMe root path (issue 5); with the ENA NIC on,
	# one run in three here ended in a triple fault during systemd start-up
	# (under investigation in issue 6), which is not what this test asks.
	"${run[@]}" "$NITROCHECK" boot "$img" --no-net --memory 1G --append no_timer_check \
		--timeout 600 --milestone-timeout 2 --format json --console \
		>"$WORK/$name.json" 2>"$WORK/$name.console"
	rc=$?
	set -e
	echo "$name: exit status $rc; report $WORK/$name.json" >&2
	sha256sum -c --quiet "$WORK/$name.sha256" || fail "$name: the image changed"
	if [ "$rc" -ne "$want" ]; then
		tr -d '\r' <"$WORK/$name.console" | tail -n 40 >&2
		cat "$WORK/$name.json" >&2
		fail "$name: exit status $rc, expected $want"
	fi
}

boot debian12-generic 0
python3 - "$WORK/debian12-generic.json" <<'PY' || fail "debian12-generic: report"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema_version"] == 1 and j["verdict"] == "pass", j["reason"]
assert j["failed_milestone"] is None and j["cause"] is None
cl = j["command_line"].split()
assert any(w == "console=ttyS0" or w.startswith("console=ttyS0,") for w in cl), cl
assert "quiet" not in cl, cl
assert any(w.startswith("root=UUID=") for w in cl), cl
at = {m["name"]: m for m in j["milestones"]}
chain = ["kernel-started", "nvme-enabled", "nvme-identified", "root-mounted", "multi-user"]
times = [at[n]["time_s"] for n in chain]
assert times == sorted(times) and times[0] >= 0, times
assert "nvme" in at["root-mounted"]["detail"] or "Welcome" in at["root-mounted"]["detail"]
print("debian12-generic milestones:", ", ".join(f"{n} {t:.1f} s" for n, t in zip(chain, times)))
PY
# The fixture's nitrocheck-probe unit prints the NVMe disk as the guest sees it.
tr -d '\r' <"$WORK/debian12-generic.console" | grep -a -q "nvme0 model=Amazon Elastic Block Store" ||
	fail "debian12-generic: the guest did not report the NVMe model Amazon Elastic Block Store"

boot debian12-no-nvme-initrd 1
python3 - "$WORK/debian12-no-nvme-initrd.json" <<'PY' || fail "debian12-no-nvme-initrd: report"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "fail"
assert j["failed_milestone"] == "nvme-enabled", j["failed_milestone"]
assert "no NVMe driver" in j["cause"], j["cause"]
names = [m["name"] for m in j["milestones"]]
assert "kernel-started" in names and "root-mounted" not in names, names
assert j["console_tail"], "no console lines"
print("debian12-no-nvme-initrd:", j["failed_milestone"], "-", j["cause"])
PY
echo "PASS"
