#!/usr/bin/env python3
"""Bad input gets exit 2 and one line on stderr naming the file and the
problem; never a crash, a hang or a report that looks complete.

usage: bad_input.py NITROCHECK
"""
import os
import subprocess
import sys
import tempfile


def main():
    nitrocheck = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        def path(name):
            return os.path.join(tmp, name)

        open(path("empty.img"), "wb").close()
        os.mkdir(path("adir"))
        with open(path("random.img"), "wb") as f:
            f.write(os.urandom(4 << 20))
        with open(path("tiny.img"), "wb") as f:
            f.write(b"hello")
        # A qcow2 cut short: its metadata tables lie past the end of the file.
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path("full.qcow2"), "64G"],
                       check=True)
        with open(path("full.qcow2"), "rb") as f:
            head = f.read(0x30000)
        with open(path("truncated.qcow2"), "wb") as f:
            f.write(head[:0x20000])
        # A qcow2 whose header and tables are intact but whose data clusters
        # were cut off (an interrupted download).
        with open(path("data.raw"), "wb") as f:
            f.write(os.urandom(16 << 20))
        subprocess.run(["qemu-img", "convert", "-q", "-O", "qcow2", path("data.raw"),
                        path("data.qcow2")], check=True)
        with open(path("data.qcow2"), "rb") as f:
            data = f.read()
        with open(path("cut.qcow2"), "wb") as f:
            f.write(data[:len(data) // 2])
        with open(path("notqcow.img"), "wb") as f:
            f.write(b"QFI\xfb" + b"\0" * 100)

        cases = [
            ("missing", path("does-not-exist.img"), "No such file"),
            ("empty", path("empty.img"), "empty"),
            ("directory", path("adir"), "directory"),
            ("random bytes", path("random.img"), "no partition table or filesystem"),
            ("too small", path("tiny.img"), "too small"),
            ("truncated qcow2", path("truncated.qcow2"), "truncated"),
            ("qcow2 with its data cut off", path("cut.qcow2"), "truncated"),
            ("corrupt qcow2 header", path("notqcow.img"), "qcow2"),
        ]
        for what, target, needle in cases:
            for fmt in ("text", "json"):
                try:
                    p = subprocess.run([nitrocheck, "scan", "--format", fmt, target],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, timeout=120)
                except subprocess.TimeoutExpired:
                    print(f"not ok - {what} ({fmt}): hung")
                    failed += 1
                    continue
                lines = [l for l in p.stderr.splitlines() if l.strip()]
                ok = (p.returncode == 2 and len(lines) == 1 and target in lines[0]
                      and needle.lower() in lines[0].lower())
                if fmt == "json" and ok:
                    # the JSON must say error, never look like a complete report
                    import json
                    doc = json.loads(p.stdout)
                    ok = doc.get("verdict") == "error" and doc.get("error") and not doc.get("kernels")
                print(f"{'ok' if ok else 'not ok'} - {what} ({fmt}): exit {p.returncode}, "
                      f"stderr {lines!r}")
                passed += ok
                failed += not ok
        # usage errors
        for args, needle in ((["scan"], "no image"), (["scan", "--format", "xml", "x"], "unknown format"),
                             (["frobnicate"], "unknown command"),
                             # boot --extract: one IMAGE, its own kernel, a writable DIR,
                             # and an image named when it cannot be read
                             (["boot", "--extract", path("plan")], "takes one IMAGE"),
                             (["boot", path("random.img"), "--extract", path("plan"),
                               "--kernel", "/boot/x"], "takes one IMAGE"),
                             (["boot", path("random.img"), "--extract", "/proc/nope/plan"],
                              "/proc/nope/plan"),
                             (["boot", path("does-not-exist.img"), "--extract", path("plan")],
                              "does-not-exist.img: No such file")):
            p = subprocess.run([nitrocheck] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=120)
            ok = p.returncode == 2 and needle in p.stderr and not p.stdout
            print(f"{'ok' if ok else 'not ok'} - usage {args}: exit {p.returncode}")
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
