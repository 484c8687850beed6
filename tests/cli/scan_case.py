#!/usr/bin/env python3
"""Scan one fixture image once and assert a case file against its JSON.

usage: scan_case.py NITROCHECK CASE.json

A case names a fixture (built or reused with fixtures/build) and what the
scan must say: exit code, verdict, default kernel, driver states per kernel,
findings that must appear (id, severity, kernel, file, line, text or
message substrings) and ids that must not. The image is scanned once; every
assertion reads that one JSON. Prints TAP-ish lines and a closing
'N passed, N failed' line; exits non-zero on any failure.
"""
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("NC_SOURCE_ROOT", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def fixture_path(name):
    out = subprocess.run([os.path.join(SRC, "fixtures", "build"), name],
                         stdout=subprocess.PIPE, check=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print(f"ok - {what}")
        else:
            self.failed += 1
            print(f"not ok - {what}")


def finding_matches(f, exp):
    for key in ("id", "severity", "kernel"):
        if key in exp and f.get(key) != exp[key]:
            return False
    ev = f.get("evidence") or {}
    if "file" in exp and ev.get("file") != exp["file"]:
        return False
    if "line" in exp and ev.get("line") != exp["line"]:
        return False
    if "text_contains" in exp and exp["text_contains"] not in (ev.get("text") or ""):
        return False
    if "message_contains" in exp and exp["message_contains"] not in f.get("message", ""):
        return False
    if "kernel_glob" in exp and not fnmatch.fnmatch(f.get("kernel") or "", exp["kernel_glob"]):
        return False
    return True


def kernel_by_glob(report, glob):
    for k in report.get("kernels", []):
        if fnmatch.fnmatch(k["version"], glob):
            return k
    return None


def main():
    nitrocheck, case_file = sys.argv[1], sys.argv[2]
    with open(case_file) as f:
        case = json.load(f)
    image = fixture_path(case["fixture"])
    tmp = tempfile.mkdtemp(prefix="nc-cli-")
    if "convert" in case:
        # the same disk in another container format
        conv = os.path.join(tmp, "image." + case["convert"])
        subprocess.run(["qemu-img", "convert", "-O", case["convert"], image, conv], check=True)
        image = conv
    before = sha256(image) if case.get("check_unmodified", True) else None
    snapdir = os.path.join(tmp, "snapshot")
    extra = ["--keep-snapshot", snapdir] if case.get("also_root") else []
    args = [nitrocheck, "scan", "--format", "json"] + case.get("args", []) + extra + [image]
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = Checker()
    print(f"# {' '.join(args)} -> exit {proc.returncode}")
    if proc.stderr:
        print("# stderr: " + proc.stderr.strip().replace("\n", "\n# stderr: "))
    c.check(proc.returncode == case["exit"], f"exit code {proc.returncode} == {case['exit']}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        c.check(False, f"JSON output parses ({e})")
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    c.check(report.get("schema_version") == 1, "schema_version is 1")
    c.check(report.get("verdict") == case["verdict"],
            f"verdict {report.get('verdict')} == {case['verdict']}")
    if "default_kernel" in case:
        c.check(fnmatch.fnmatch(report.get("default_kernel") or "", case["default_kernel"]),
                f"default kernel {report.get('default_kernel')} ~ {case['default_kernel']}")
        kernels = report.get("kernels", [])
        c.check(bool(kernels) and kernels[0].get("default") is True,
                "the default kernel is listed first")
    for kexp in case.get("kernels", []):
        k = kernel_by_glob(report, kexp["version"])
        c.check(k is not None, f"kernel {kexp['version']} found")
        if not k:
            continue
        if "default" in kexp:
            c.check(k["default"] == kexp["default"], f"kernel {k['version']} default={kexp['default']}")
        for key in ("generator",):
            if key in kexp:
                got = (k.get("initramfs") or {}).get(key)
                c.check(got == kexp[key], f"kernel {k['version']} initramfs {key} {got} == {kexp[key]}")
        if "segments" in kexp:
            got = (k.get("initramfs") or {}).get("segments")
            c.check(got == kexp["segments"], f"kernel {k['version']} initramfs segments {got} == {kexp['segments']}")
        for dname, dexp in kexp.get("drivers", {}).items():
            d = next((d for d in k.get("drivers", []) if d["name"] == dname), None)
            c.check(d is not None, f"kernel {k['version']} driver {dname} reported")
            if not d:
                continue
            for key, val in dexp.items():
                if key == "modules":
                    for mname, mexp in val.items():
                        m = next((m for m in d["modules"] if m["name"] == mname), None)
                        c.check(m is not None, f"{dname} module {mname} reported")
                        for mk, mv in (mexp.items() if m else []):
                            if mk == "path_glob":
                                c.check(fnmatch.fnmatch(m.get("path") or "", mv),
                                        f"{mname} path {m.get('path')} ~ {mv}")
                            else:
                                c.check(m.get(mk) == mv, f"{mname} {mk} {m.get(mk)!r} == {mv!r}")
                else:
                    c.check(d.get(key) == val, f"{dname} {key} {d.get(key)!r} == {val!r}")
    findings = report.get("findings", [])
    for exp in case.get("expect", []):
        ok = any(finding_matches(f, exp) for f in findings)
        c.check(ok, f"finding {exp}")
    for fid in case.get("forbid", []):
        hits = [f for f in findings if fnmatch.fnmatch(f["id"], fid)]
        c.check(not hits, f"no finding {fid}" + (f" (got {[h['id'] for h in hits]})" if hits else ""))
    if case.get("no_errors_except") is not None:
        allowed = set(case["no_errors_except"])
        bad = [f["id"] for f in findings if f["severity"] == "error" and f["id"] not in allowed]
        c.check(not bad, f"no unexpected error findings (got {bad})")
    if before is not None:
        c.check(sha256(image) == before, "image unmodified by the scan")
    if case.get("also_root"):
        # the kept snapshot scanned as a tree: same kernels and drivers, and
        # the references that need a block layout are said to be unverifiable
        p2 = subprocess.run([nitrocheck, "scan", "--format", "json", "--root", snapdir],
                            stdout=subprocess.PIPE, text=True)
        r2 = json.loads(p2.stdout)
        strip = lambda ks: [(k["version"], k["default"], [(d["name"], d["status"], d["in_initramfs"])
                                                          for d in k["drivers"]]) for k in ks]
        c.check(strip(r2.get("kernels", [])) == strip(report.get("kernels", [])),
                "--root on the kept snapshot: same kernels and drivers")
        c.check(any(f["id"] == "fstab-refs-unverified" for f in r2.get("findings", [])),
                "--root: fstab references reported unverifiable")
    shutil.rmtree(tmp, ignore_errors=True)
    if c.failed:
        print("# findings: " + json.dumps([(f["id"], f["severity"], f.get("kernel"),
                                             (f.get("evidence") or {}).get("file"),
                                             (f.get("evidence") or {}).get("line"))
                                            for f in findings]))
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
