#!/usr/bin/env python3
"""Answers version comparisons and GLSA matching with portage's own code,
for cbuild's differential tests. Reads one JSON document on stdin:
  {"vercmp": [["1.0", "1.0_p1"], ...],
   "glsa": [{"id": "202611-01", "xml": "<?xml ...", "arch": "amd64",
             "installed": [{"cpv": "cat/pkg-1.0", "slot": "0"}, ...]}, ...]}
and writes {"vercmp": [-1, ...], "glsa": [{"system": bool, "each": [bool, ...]}
or {"error": "..."}, ...]}: `system` is Glsa.isVulnerable() over the whole
installed set, `each` the same for each installed package alone. Run with
the venv of scripts/portage-venv. All cases in one process."""
import json, os, sys, tempfile

root = tempfile.mkdtemp(prefix="cbuild-portage-root-")
os.environ.setdefault("PORTAGE_CONFIGROOT", root)
os.environ.setdefault("ROOT", root)

import portage.dep
import portage.glsa
from portage.versions import _pkg_str, vercmp


class FakeDB:
    """What Glsa.isVulnerable needs of a dbapi: match(atom) over a fixed list."""

    def __init__(self, pkgs):
        self.pkgs = [_pkg_str(p["cpv"], slot=p["slot"]) for p in pkgs]

    def match(self, atom):
        return portage.dep.match_from_list(portage.dep.Atom(atom), self.pkgs)

    def _pkg_str(self, cpv, repo):
        for p in self.pkgs:
            if p == cpv:
                return p
        return _pkg_str(cpv)


def vulnerable(path, case, installed):
    g = portage.glsa.Glsa.__new__(portage.glsa.Glsa)
    g.nr = case["id"]
    g.type = "file"
    g.config = {"ARCH": case["arch"]}
    g.vardbapi = FakeDB(installed)
    g.portdbapi = FakeDB([])
    g.parse(path)
    return bool(g.isVulnerable())


def main():
    req = json.load(sys.stdin)
    out = {"vercmp": [], "glsa": []}
    for a, b in req.get("vercmp", []):
        r = vercmp(a, b)
        out["vercmp"].append(None if r is None else (r > 0) - (r < 0))
    work = tempfile.mkdtemp(prefix="cbuild-glsa-")
    for i, case in enumerate(req.get("glsa", [])):
        path = os.path.join(work, "glsa-%s.xml" % case["id"])
        with open(path, "w", encoding="utf-8") as f:
            f.write(case["xml"])
        try:
            system = vulnerable(path, case, case["installed"])
            each = [vulnerable(path, case, [p]) for p in case["installed"]]
            out["glsa"].append({"system": system, "each": each})
        except Exception as e:  # a format error portage raises
            out["glsa"].append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


main()
