"""Buildbot steps that let Buildbot distribute a cbuild build directory.

cbuild decides *what* must be built (``cbuild plan --format buildbot``);
Buildbot decides *where* and *when*. The "plan" builder runs
:class:`CBuildPlan` on a local worker: it reads the plan (one job per stage
that must be built, with the jobs it needs) and adds one :class:`TriggerWave`
step per dependency level. Each wave triggers one build per node on the
"build" builder and waits for them, so a stage starts only after the stages
it is seeded from succeeded. A node whose input failed is not triggered
(the other nodes of the wave still are), and the plan build fails.

Each triggered build runs ``cbuild -C <cbuild_dir> build NODE --no-deps``
on a build worker (:func:`node_command`): exactly one catalyst run, its
inputs taken from the worker's build directory or the shared cache.

Settings live in a TOML file (see ``cbuild-buildbot.toml.example``) read by
:func:`load_settings`. Nothing here imports cbuild: the plan's JSON is the
whole interface (schema in cbuild's ``docs/distributed.md``).
"""

import json
import os
import re

from twisted.internet import defer

from buildbot.plugins import steps, util
from buildbot.process import buildstep
from buildbot.process.results import CANCELLED, FAILURE, SKIPPED, SUCCESS, WARNINGS

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - older Pythons with tomli installed
    import tomli as _toml

#: Build property of the plan build: {node: Buildbot result} so far.
RESULTS_PROPERTY = "cbuild_results"
#: Build property of the plan build: the plan's jobs as cbuild printed them.
PLAN_PROPERTY = "cbuild_plan"

_OK = (SUCCESS, WARNINGS)


# --------------------------------------------------------------- settings

class SettingsError(Exception):
    """A settings file Buildbot cannot start with (names the file and key)."""


def load_settings(path):
    """Reads and checks the TOML settings; raises SettingsError naming the key."""
    try:
        with open(path, "rb") as f:
            data = _toml.load(f)
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file (copy cbuild-buildbot.toml.example)")
    except _toml.TOMLDecodeError as e:
        raise SettingsError(f"{path}: {e}")

    def need(table, key, kind, where):
        if key not in table:
            raise SettingsError(f"{path}: [{where}] needs '{key}'")
        if not isinstance(table[key], kind):
            raise SettingsError(f"{path}: [{where}] '{key}' has the wrong type")
        return table[key]

    def command(table, key, where):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{path}: [{where}] '{key}' must be a list of strings")
        return value

    def only(table, keys, where):
        for key in table:
            if key not in keys:
                raise SettingsError(f"{path}: {where}unknown key '{key}' (known: {', '.join(sorted(keys))})")

    only(data, {"master", "plan", "build_worker"}, "")
    master = data.get("master", {})
    only(master, {"title", "pb_port", "db_url", "www_port", "nightly", "nodes", "change_user", "change_password",
                  "build_timeout", "build_max_time"}, "[master] ")
    nightly = master.get("nightly")
    if nightly is not None and not re.fullmatch(r"([01]?[0-9]|2[0-3]):[0-5][0-9]", str(nightly)):
        raise SettingsError(f"{path}: [master] 'nightly' must be a time HH:MM, not {nightly!r}")
    plan = data.get("plan")
    if not isinstance(plan, dict):
        raise SettingsError(f"{path}: a [plan] table is needed (the worker that runs `cbuild plan`)")
    workers = data.get("build_worker")
    if not isinstance(workers, list) or not workers:
        raise SettingsError(f"{path}: at least one [[build_worker]] table is needed")
    worker_keys = {"name", "password", "cbuild_dir", "cbuild", "update"}
    only(plan, worker_keys, "[plan] ")
    out = {
        "title": master.get("title", "cbuild"),
        "pb_port": master.get("pb_port", 9989),
        "db_url": master.get("db_url", "sqlite:///state.sqlite"),
        "www_port": master.get("www_port"),
        "nightly": master.get("nightly"),
        "nodes": command(master, "nodes", "master"),
        "change_user": master.get("change_user"),
        "change_password": master.get("change_password"),
        "build_timeout": master.get("build_timeout", 4 * 3600),
        "build_max_time": master.get("build_max_time"),
        "plan": {
            "name": need(plan, "name", str, "plan"),
            "password": need(plan, "password", str, "plan"),
            "cbuild_dir": need(plan, "cbuild_dir", str, "plan"),
            "cbuild": plan.get("cbuild", "cbuild"),
            "update": command(plan, "update", "plan"),
        },
        "build_workers": [],
    }
    for i, w in enumerate(workers):
        where = f"build_worker #{i + 1}"
        only(w, worker_keys, f"[{where}] ")
        out["build_workers"].append({
            "name": need(w, "name", str, where),
            "password": need(w, "password", str, where),
            "cbuild_dir": need(w, "cbuild_dir", str, where),
            "cbuild": w.get("cbuild", "cbuild"),
            "update": command(w, "update", where),
        })
    names = [w["name"] for w in out["build_workers"]] + [out["plan"]["name"]]
    if len(set(names)) != len(names):
        raise SettingsError(f"{path}: worker names must be unique: {names}")
    return out


def settings_path(basedir):
    """$CBUILD_BUILDBOT_SETTINGS, else cbuild-buildbot.toml in the master's directory."""
    return os.environ.get("CBUILD_BUILDBOT_SETTINGS") or os.path.join(basedir, "cbuild-buildbot.toml")


# ------------------------------------------------------------- the plan

def dependency_waves(jobs):
    """Groups the plan's jobs by dependency level: wave 0 needs no other
    job, wave n needs only jobs of earlier waves. Raises ValueError on a
    job that names an unknown job or a cycle (cbuild never prints either)."""
    by_node = {j["node"]: j for j in jobs}
    level = {}

    def visit(node, stack):
        if node in level:
            return level[node]
        if node in stack:
            raise ValueError("cycle in the plan: " + " -> ".join(stack + [node]))
        job = by_node.get(node)
        if job is None:
            raise ValueError(f"the plan names an unknown job {node!r}")
        lv = 0
        for dep in job["deps"]:
            lv = max(lv, visit(dep, stack + [node]) + 1)
        level[node] = lv
        return lv

    for j in jobs:
        visit(j["node"], [])
    waves = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for j in jobs:
        waves[level[j["node"]]].append(j)
    return waves


class CBuildPlan(buildstep.ShellMixin, buildstep.BuildStep):
    """Runs ``cbuild plan --format buildbot`` on the plan worker and adds one
    TriggerWave step per dependency level after itself."""

    name = "cbuild plan"
    description = "planning"
    descriptionDone = "planned"

    def __init__(self, scheduler, **kwargs):
        self.scheduler = scheduler
        kwargs = self.setupShellMixin(kwargs)
        super().__init__(**kwargs)

    @defer.inlineCallbacks
    def run(self):
        cmd = yield self.makeRemoteShellCommand(collectStdout=True)
        yield self.runCommand(cmd)
        if cmd.didFail():
            return FAILURE
        try:
            jobs = json.loads(cmd.stdout)
            waves = dependency_waves(jobs)
        except (ValueError, KeyError, TypeError) as e:
            yield self.addCompleteLog("error", f"cannot read the plan: {e}\n")
            return FAILURE
        self.setProperty(PLAN_PROPERTY, jobs, "cbuild plan")
        self.setProperty(RESULTS_PROPERTY, {}, "cbuild plan")
        summary = "".join(
            f"wave {i + 1}: " + " ".join(j["node"] for j in wave) + "\n" for i, wave in enumerate(waves))
        yield self.addCompleteLog("waves", summary or "nothing to build\n")
        self.descriptionDone = f"{len(jobs)} node(s) in {len(waves)} wave(s)"
        self.build.addStepsAfterCurrentStep([
            TriggerWave(index=i, jobs=wave, scheduler=self.scheduler) for i, wave in enumerate(waves)
        ])
        return SUCCESS


class TriggerWave(steps.Trigger):
    """Triggers one build per node of a dependency level and waits for all
    of them; nodes whose input failed are left out (and count as skipped)."""

    def __init__(self, index, jobs, scheduler, **kwargs):
        self.wave_jobs = jobs
        self.to_trigger = []
        super().__init__(
            name=f"wave {index + 1}",
            schedulerNames=[scheduler],
            waitForFinish=True,
            haltOnFailure=False,
            flunkOnFailure=True,
            **kwargs,
        )

    def getSchedulersAndProperties(self):
        return [{
            "sched_name": self.schedulerNames[0],
            "props_to_set": {
                "node": job["node"],
                "cbuild_key": job.get("key") or "pending",
                "cbuild_command": job["command"],
                "cbuild_expected_seconds": job.get("expected_seconds"),
            },
            "unimportant": False,
        } for job in self.to_trigger]

    @defer.inlineCallbacks
    def run(self):
        results = dict(self.getProperty(RESULTS_PROPERTY) or {})
        self.to_trigger, skipped = [], []
        for job in self.wave_jobs:
            blocked = [d for d in job["deps"] if results.get(d) not in _OK]
            if blocked:
                results[job["node"]] = SKIPPED
                skipped.append(f"{job['node']}: not built, its input {', '.join(blocked)} did not succeed\n")
            else:
                self.to_trigger.append(job)
        if skipped:
            yield self.addCompleteLog("skipped", "".join(skipped))
        if not self.to_trigger:
            self.setProperty(RESULTS_PROPERTY, results, "cbuild plan")
            self.descriptionDone = "skipped: inputs failed"
            return SKIPPED
        outcome = yield super().run()
        # One build request per node, in trigger order.
        for job, brid in zip(self.to_trigger, self.brids):
            builds = yield self.master.db.builds.getBuilds(buildrequestid=brid)
            results[job["node"]] = builds[-1].results if builds else CANCELLED
        self.setProperty(RESULTS_PROPERTY, results, "cbuild plan")
        if skipped and outcome in _OK:
            outcome = FAILURE
        return outcome


# ------------------------------------------------------------- a node

@util.renderer
def node_command(props):
    """The plan's command for the node, run in this worker's build
    directory: ``<cbuild> -C <cbuild_dir> build NODE --no-deps``."""
    command = props.getProperty("cbuild_command")
    if not command:
        command = ["cbuild", "build", props.getProperty("node"), "--no-deps"]
    return [props.getProperty("cbuild", "cbuild"), "-C", props.getProperty("cbuild_dir")] + list(command[1:])


@util.renderer
def plan_command(props):
    """``<cbuild> -C <cbuild_dir> plan --format buildbot [NODE…]``; the
    nodes come from the ``nodes`` property (space-separated) when set."""
    nodes = props.getProperty("nodes") or ""
    if isinstance(nodes, str):
        nodes = nodes.split()
    return [props.getProperty("cbuild", "cbuild"), "-C", props.getProperty("cbuild_dir"),
            "plan", "--format", "buildbot"] + list(nodes)
