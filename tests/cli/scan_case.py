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


def check_case(c, name, case, report, image, before, snapdir, nitrocheck):
    """Assert one case against its image's JSON object."""
    print(f"# case {name}: {image}")
    if report.get("verdict") == "error":
        print(f"# error: {report.get('error')}")
    c.check(report.get("verdict") == case["verdict"],
            f"{name}: verdict {report.get('verdict')} == {case['verdict']}")
    if "default_kernel" in case:
        c.check(fnmatch.fnmatch(report.get("default_kernel") or "", case["default_kernel"]),
                f"{name}: default kernel {report.get('default_kernel')} ~ {case['default_kernel']}")
        kernels = report.get("kernels", [])
        c.check(bool(kernels) and kernels[0].get("default") is True,
                f"{name}: the default kernel is listed first")
    for kexp in case.get("kernels", []):
        k = kernel_by_glob(report, kexp["version"])
        c.check(k is not None, f"{name}: kernel {kexp['version']} found")
        if not k:
            continue
        if "default" in kexp:
            c.check(k["default"] == kexp["default"], f"{name}: kernel {k['version']} default={kexp['default']}")
        for key in ("generator", "segments"):
            if key in kexp:
                got = (k.get("initramfs") or {}).get(key)
                c.check(got == kexp[key], f"{name}: kernel {k['version']} initramfs {key} {got} == {kexp[key]}")
        for dname, dexp in kexp.get("drivers", {}).items():
            d = next((d for d in k.get("drivers", []) if d["name"] == dname), None)
            c.check(d is not None, f"{name}: kernel {k['version']} driver {dname} reported")
            if not d:
                continue
            for key, val in dexp.items():
                if key == "modules":
                    for mname, mexp in val.items():
                        m = next((m for m in d["modules"] if m["name"] == mname), None)
                        c.check(m is not None, f"{name}: {dname} module {mname} reported")
                        for mk, mv in (mexp.items() if m else []):
                            if mk == "path_glob":
                                c.check(fnmatch.fnmatch(m.get("path") or "", mv),
                                        f"{name}: {mname} path {m.get('path')} ~ {mv}")
                            else:
                                c.check(m.get(mk) == mv, f"{name}: {mname} {mk} {m.get(mk)!r} == {mv!r}")
                else:
                    c.check(d.get(key) == val, f"{name}: {dname} {key} {d.get(key)!r} == {val!r}")
    findings = report.get("findings", [])
    for exp in case.get("expect", []):
        c.check(any(finding_matches(f, exp) for f in findings), f"{name}: finding {exp}")
    for fid in case.get("forbid", []):
        hits = [f["id"] for f in findings if fnmatch.fnmatch(f["id"], fid)]
        c.check(not hits, f"{name}: no finding {fid}" + (f" (got {hits})" if hits else ""))
    if case.get("no_errors_except") is not None:
        allowed = set(case["no_errors_except"])
        bad = [f["id"] for f in findings if f["severity"] == "error" and f["id"] not in allowed]
        c.check(not bad, f"{name}: no unexpected error findings (got {bad})")
    if before is not None:
        c.check(sha256(image) == before, f"{name}: image unmodified by the scan")
    if case.get("also_root"):
        # the kept snapshot scanned as a tree: same kernels and drivers, and
        # the references that need a block layout are said to be unverifiable
        p2 = subprocess.run([nitrocheck, "scan", "--format", "json", "--root", snapdir],
                            stdout=subprocess.PIPE, text=True)
        r2 = json.loads(p2.stdout)
        strip = lambda ks: [(k["version"], k["default"], [(d["name"], d["status"], d["in_initramfs"])
                                                          for d in k["drivers"]]) for k in ks]
        c.check(strip(r2.get("kernels", [])) == strip(report.get("kernels", [])),
                f"{name}: --root on the kept snapshot: same kernels and drivers")
        c.check(any(f["id"] == "fstab-refs-unverified" for f in r2.get("findings", [])),
                f"{name}: --root: fstab references reported unverifiable")
    if c.failed:
        print("# findings: " + json.dumps([(f["id"], f["severity"], f.get("kernel"),
                                             (f.get("evidence") or {}).get("file"),
                                             (f.get("evidence") or {}).get("line"))
                                            for f in findings]))


def main():
    """usage: scan_case.py NITROCHECK CASE.json...

    All images go through one `nitrocheck scan` (one appliance launch);
    cases with also_root keep their snapshot through a separate scan."""
    nitrocheck, case_files = sys.argv[1], sys.argv[2:]
    tmp = tempfile.mkdtemp(prefix="nc-cli-")
    cases = []
    for cf in case_files:
        with open(cf) as f:
            case = json.load(f)
        name = os.path.basename(cf)[:-5]
        image = fixture_path(case["fixture"])
        if "convert" in case:
            conv = os.path.join(tmp, f"{name}.{case['convert']}")
            subprocess.run(["qemu-img", "convert", "-O", case["convert"], image, conv], check=True)
            image = conv
        before = sha256(image) if case.get("check_unmodified", True) else None
        cases.append((name, case, image, before))
    c = Checker()
    batch = [x for x in cases if not x[1].get("also_root")]
    alone = [x for x in cases if x[1].get("also_root")]
    runs = ([batch] if batch else []) + [[x] for x in alone]
    for run in runs:
        snapdir = os.path.join(tmp, "snapshot-" + run[0][0])
        extra = ["--keep-snapshot", snapdir] if run[0][1].get("also_root") else []
        args = [nitrocheck, "scan", "--format", "json"] + extra + [x[2] for x in run]
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        print(f"# {' '.join(args)} -> exit {proc.returncode}")
        if proc.stderr:
            print("# stderr: " + proc.stderr.strip().replace("\n", "\n# stderr: "))
        expected_exit = max(x[1]["exit"] for x in run)
        c.check(proc.returncode == expected_exit, f"exit code {proc.returncode} == {expected_exit}")
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            c.check(False, f"JSON output parses ({e})")
            continue
        c.check(doc.get("schema_version") == 1, "schema_version is 1")
        images = doc["images"] if "images" in doc else [doc]
        c.check(len(images) == len(run), f"{len(images)} image reports for {len(run)} images")
        for (name, case, image, before), report in zip(run, images):
            c.check(report.get("image") == image, f"{name}: report is for {image}")
            check_case(c, name, case, report, image, before, snapdir, nitrocheck)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
