"""Plumbing shared by the scale benchmarks (``bench/bench_scale.py`` and its parts).

What the machine is, measured child processes (wall time and peak RSS of that
one child, from ``os.wait4``), a private Neo4j server for the run, generated
data sets, percentiles, and replacing one marked section of BENCHMARKS.md.
Nothing here measures innograph by itself.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
SAMPLE = ROOT / "data" / "sample"
NEO4J_LOCAL = ROOT / "tools" / "neo4j" / "neo4j_local.py"
MAPPING_SUFFIX = ".mapping.yaml"


# ---------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    """What the numbers are measured on: date, CPU model, cores, RAM, Python, OS."""
    cpu = platform.processor() or "unknown CPU"
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
                break
    except OSError:
        pass
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
            "cores": os.cpu_count() or 0, "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "os": platform.platform()}


def machine_line(m: Mapping[str, Any]) -> str:
    """One sentence naming the machine of a run, for the top of a section."""
    return (f"Measured {m['date']} on {m['cores']} CPUs ({m['cpu']}), {m['ram_gb']:g} GB RAM, "
            f"Python {m['python']}, {m['os']}.")


# ---------------------------------------------------------------------------- time
class OutOfTime(Exception):
    """The run's time budget is used up: the step was not started."""


class Deadline:
    """The time a whole run may take, shared by its steps.

    Args:
        seconds: The budget from now; None for no limit.
        floor: A step is not started with less than this many seconds left.
    """

    def __init__(self, seconds: float | None = None, *, floor: float = 20.0) -> None:
        self.started = time.monotonic()
        self.seconds = seconds
        self.floor = floor

    def left(self) -> float | None:
        """Seconds left (None: no limit)."""
        if self.seconds is None:
            return None
        return self.seconds - (time.monotonic() - self.started)

    def timeout(self, cap: float) -> float:
        """The time limit of the next step: ``cap``, or less if the run ends sooner.

        Raises:
            OutOfTime: fewer than ``floor`` seconds are left.
        """
        left = self.left()
        if left is None or self.seconds is None:
            return cap
        if left < self.floor:
            raise OutOfTime(f"the run's budget of {self.seconds / 60:.0f} min was used up")
        return min(cap, left)

    @property
    def expired(self) -> bool:
        """Whether fewer than ``floor`` seconds are left."""
        left = self.left()
        return left is not None and left < self.floor


# ---------------------------------------------------------------------------- processes
@dataclass
class Measured:
    """One child process run to its end (or stopped at its time or memory limit).

    Attributes:
        cmd: The command line.
        wall_s: Wall time from start to exit.
        returncode: Exit status (negative: killed by that signal).
        max_rss_mb: Peak resident set size of the child (and the children it waited for).
        stopped: ``"time"`` or ``"memory"`` when a limit stopped it, else None.
        stdout: What it printed.
        stderr: What it printed on stderr.
    """

    cmd: list[str]
    wall_s: float
    returncode: int
    max_rss_mb: float
    stopped: str | None
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        """Whether the time limit stopped it."""
        return self.stopped == "time"

    @property
    def ok(self) -> bool:
        """Exited 0 within its limits."""
        return self.returncode == 0 and self.stopped is None

    def describe(self) -> str:
        """A one-line account of a failed run, for errors and notes."""
        what = {"time": "timed out", "memory": "stopped at its memory limit"}.get(
            self.stopped or "", f"exit {self.returncode}")
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-3:]
        return f"{' '.join(self.cmd[:3])}… {what} after {self.wall_s:.1f} s: {' / '.join(tail)}"


def _kill_group(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _watch(pid: int, until: float, rss_limit_mb: float | None, done: threading.Event,
           stopped: list[str]) -> None:
    """Kill the child's group at ``until`` (perf_counter) or above ``rss_limit_mb``."""
    while not done.wait(0.2):
        if time.perf_counter() > until:
            stopped.append("time")
        elif rss_limit_mb and vm_status(pid).get("VmRSS", 0.0) > rss_limit_mb:
            stopped.append("memory")
        else:
            continue
        _kill_group(pid)
        return


def run_measured(cmd: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, timeout: float = 3600.0,
                 rss_limit_mb: float | None = None) -> Measured:
    """Run a command to its end and measure it.

    The child gets a session of its own, so a limit kills it with everything it
    started. Its peak RSS comes from ``os.wait4`` on that pid, so earlier children
    of this process do not count (unlike ``RUSAGE_CHILDREN``).

    Args:
        cmd: Program and arguments.
        env: The child's whole environment (default: this process's).
        cwd: Working directory.
        timeout: Seconds after which the child is killed.
        rss_limit_mb: Resident memory above which the child is killed (checked five
            times a second), so that a run too big for the machine does not push it,
            and whoever else uses it, out of memory.

    Returns:
        What happened; the caller decides whether a non-zero exit is an error.
    """
    done = threading.Event()
    stopped: list[str] = []
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None,
                                cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        watcher = threading.Thread(target=_watch, daemon=True, args=(
            proc.pid, started + timeout, rss_limit_mb, done, stopped))
        watcher.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            done.set()
            watcher.join()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(cmd=list(cmd), wall_s=wall, returncode=proc.returncode,
                        max_rss_mb=usage.ru_maxrss / 1024,
                        stopped=stopped[0] if stopped else None,
                        stdout=out.read().decode("utf-8", "replace"),
                        stderr=err.read().decode("utf-8", "replace"))


def memory_guard_mb(share: float = 0.75) -> float | None:
    """``share`` of the machine's RAM in MB: the default memory limit of big children."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 * share
    except OSError:
        pass
    return None


def innograph_exe() -> str:
    """The ``innograph`` script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "innograph"
    if beside.exists():
        return str(beside)
    found = shutil.which("innograph")
    if not found:
        raise RuntimeError("the innograph command is not installed (make install)")
    return found


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vm_status(pid: int) -> dict[str, float]:
    """``VmHWM`` (peak RSS) and ``VmRSS`` of a live process in MB, from /proc."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError):
        pass
    return out


# ---------------------------------------------------------------------------- Neo4j
@dataclass(frozen=True)
class Neo4jConn:
    """Where a Neo4j server answers, and (for a private one) the pid of its JVM."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    pid: int | None = None

    def env(self) -> dict[str, str]:
        """The variables innograph reads to reach this server."""
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user,
                "NEO4J_PASSWORD": self.password, "NEO4J_DATABASE": self.database}

    def settings(self) -> Settings:
        """innograph settings for this server."""
        from graph.settings import Settings

        return Settings(INNOGRAPH_STORE="neo4j", NEO4J_URI=self.uri, NEO4J_USER=self.user,
                        NEO4J_PASSWORD=self.password, NEO4J_DATABASE=self.database)

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jConn:
        """The server named by innograph settings (after ``with_local_neo4j``)."""
        if not settings.neo4j_uri:
            raise ValueError("no Neo4j URI in the settings")
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        return cls(uri=settings.neo4j_uri, user=settings.neo4j_user, password=password,
                   database=settings.neo4j_database)


@contextmanager
def neo4j_server(run_dir: Path, *, heap: str = "2g", pagecache: str = "1g",
                 timeout: float = 300.0) -> Iterator[Neo4jConn]:
    """A private Neo4j for the run (``tools/neo4j/neo4j_local.py --run-dir``), stopped after.

    Its connection files stay in ``run_dir``: the shared server of the test suite
    (``.neo4j/``) is never touched.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, str(NEO4J_LOCAL)]
    subprocess.run([*base, "start", "--run-dir", str(run_dir), "--home", str(run_dir / "data"),
                    "--heap", heap, "--pagecache", pagecache, "--timeout", str(int(timeout))],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        info = json.loads((run_dir / "connection.json").read_text())
        yield Neo4jConn(uri=info["uri"], user=info.get("user", "neo4j"),
                        password=info["password"], database=info.get("database", "neo4j"),
                        pid=info.get("pid"))
    finally:
        subprocess.run([*base, "stop", "--run-dir", str(run_dir)], check=False,
                       stdout=subprocess.DEVNULL)


def clear_neo4j(conn: Neo4jConn) -> None:
    """Empty the server's database with the project's own ``Neo4jStore.clear()``.

    Opening the store first creates the constraints and indexes, so the database is
    left empty but with innograph's schema.
    """
    from graph.factory import open_store

    store = open_store(conn.settings())
    try:
        store.clear()
    finally:
        store.close()


def child_env(home: Path, backend: str, conn: Neo4jConn | None = None) -> dict[str, str]:
    """The environment of an innograph child: this one without any INNOGRAPH_/NEO4J_
    setting, then the store home, the backend and (for Neo4j) the server named."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INNOGRAPH_", "NEO4J_"))}
    env.update(INNOGRAPH_HOME=str(home), INNOGRAPH_STORE=backend, INNOGRAPH_ROLE="analyst",
               PYTHONUNBUFFERED="1")
    if backend == "neo4j":
        if conn is None:
            raise ValueError("a Neo4j child needs the server to use")
        env.update(conn.env())
    return env


# ---------------------------------------------------------------------------- data
@dataclass
class DataSet:
    """A generated registry folder.

    Attributes:
        actors: The ``--actors`` it was generated with.
        path: The folder.
        seconds: Time ``innograph generate`` took.
        copied_mappings: Mapping files copied from data/sample because the
            generator did not write them.
    """

    actors: int
    path: Path
    seconds: float
    copied_mappings: list[str]


def generate_dataset(out: Path, actors: int, *, seed: int = 7,
                     timeout: float = 1800.0) -> DataSet:
    """``innograph generate OUT --actors N --seed S``, then any missing mapping files.

    A data file without ``<file>.mapping.yaml`` beside it gets the one of
    ``data/sample`` with the same name (the generator writes the sample's layout).

    Raises:
        RuntimeError: the generator failed.
    """
    run = run_measured([innograph_exe(), "generate", str(out), "--actors", str(actors),
                        "--seed", str(seed)], cwd=out.parent, timeout=timeout)
    if not run.ok:
        raise RuntimeError(run.describe())
    copied = []
    for mapping in sorted(SAMPLE.glob(f"*{MAPPING_SUFFIX}")):
        data = out / mapping.name[: -len(MAPPING_SUFFIX)]
        if data.exists() and not (out / mapping.name).exists():
            shutil.copy(mapping, out / mapping.name)
            copied.append(mapping.name)
    return DataSet(actors=actors, path=out, seconds=run.wall_s, copied_mappings=copied)


# ---------------------------------------------------------------------------- numbers
def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation between order statistics.

    Raises:
        ValueError: no values.
    """
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def fmt_ms(ms: float | None) -> str:
    """Milliseconds for a table: 3 significant places below 10 ms, whole above 100."""
    if ms is None:
        return "–"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_s(seconds: float | None) -> str:
    """Seconds for a table."""
    if seconds is None:
        return "–"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


# ---------------------------------------------------------------------------- BENCHMARKS.md
def write_section(start: str, end: str, section: str, path: Path = BENCHMARKS) -> None:
    """Replace the text between ``start`` and ``end`` (markers included) or append it.

    Every other section of the file is kept as it is.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    body = section.strip("\n")
    if start in old and end in old:
        head, rest = old.split(start, 1)
        new = head + body + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(new, encoding="utf-8")
