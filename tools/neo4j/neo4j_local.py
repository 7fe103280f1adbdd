#!/usr/bin/env python3
"""Run a local Neo4j Community 5.26 server for innograph, without Docker.

The server is an embedded Neo4j DBMS started by a tiny Java launcher
(``tools/neo4j``, built with Maven) that serves Bolt on a free loopback port
with a random password. This script uses the standard library only, so it
works before any virtualenv exists.

Subcommands::

    python3 tools/neo4j/neo4j_local.py build  [--force]
    python3 tools/neo4j/neo4j_local.py start  [--home DIR] [--timeout 180] [--run-dir DIR]
    python3 tools/neo4j/neo4j_local.py stop   [--timeout 60] [--run-dir DIR]
    python3 tools/neo4j/neo4j_local.py status [--run-dir DIR]
    python3 tools/neo4j/neo4j_local.py admin  --home DIR [--heap 1g] ARGS...

``start`` writes ``<repo>/.neo4j/connection.json`` (mode 0600) and
``<repo>/.neo4j/connection.env`` (KEY=VALUE lines) for clients to read.
``--run-dir`` puts those files, the console log and the lock in another folder,
so a second server (another home, another port) runs beside the default one
without touching its connection files. ``admin`` runs ``neo4j-admin`` (for
example ``database import full``) on a home without starting a server.
Exit codes: 0 success, 1 failure, 3 ``status`` found nothing running.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

TOOL_DIR = Path(__file__).resolve().parent
REPO = TOOL_DIR.parent.parent
POM = TOOL_DIR / "pom.xml"
SRC_DIR = TOOL_DIR / "src"
TARGET = TOOL_DIR / "target"
CLASSES = TARGET / "classes"
LIB = TARGET / "lib"
BUILD_STAMP = TARGET / ".innograph-build-ok"

RUN_DIR = REPO / ".neo4j"
DEFAULT_HOME = RUN_DIR / "data"
CONNECTION_JSON = RUN_DIR / "connection.json"
CONNECTION_ENV = RUN_DIR / "connection.env"
CONSOLE_LOG = RUN_DIR / "neo4j-console.log"
LOCK_FILE = RUN_DIR / ".lock"

MAIN_CLASS = "innograph.tools.neo4j.Launcher"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
READY_PREFIX = "INNOGRAPH-NEO4J READY "
PASSWORD_ENV = "INNOGRAPH_NEO4J_PASSWORD"
HOST = "127.0.0.1"
USER = "neo4j"
DATABASE = "neo4j"

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_NOT_RUNNING = 3

# JVM options taken from the defaults that the Neo4j 5.26 distribution puts in
# conf/neo4j.conf (server.jvm.additional); the --add-opens lines are the ones
# Neo4j needs on Java 17+. -XX:+AlwaysPreTouch is left out on purpose: it
# makes start-up slower and commits the whole heap at once on a small box.
NEO4J_JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
]
DEFAULT_HEAP_MIN = "512m"
DEFAULT_HEAP_MAX = "768m"
DEFAULT_PAGECACHE = "128m"
DEFAULT_TX_MAX = "256m"
DEFAULT_ADMIN_HEAP = "1g"
PORT_ATTEMPTS = 3


class Neo4jLocalError(RuntimeError):
    """A failure that is reported to the user as a one-line message."""


def use_run_dir(run_dir: Path) -> None:
    """Points the connection files, console log and lock at another folder.

    The default server keeps ``<repo>/.neo4j``; a second server started with
    another run dir never reads or overwrites its files.

    Args:
        run_dir: Folder for connection.json, connection.env, the console log
            and the lock (created on start).
    """
    global RUN_DIR, DEFAULT_HOME, CONNECTION_JSON, CONNECTION_ENV, CONSOLE_LOG, LOCK_FILE
    RUN_DIR = run_dir
    DEFAULT_HOME = run_dir / "data"
    CONNECTION_JSON = run_dir / "connection.json"
    CONNECTION_ENV = run_dir / "connection.env"
    CONSOLE_LOG = run_dir / "neo4j-console.log"
    LOCK_FILE = run_dir / ".lock"


def log(message: str) -> None:
    """Prints a progress message on stderr (stdout stays for results).

    Args:
        message: Text to print, prefixed with the tool name.
    """
    print(f"neo4j_local: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------


def _newest_source_mtime() -> float:
    """Returns the newest modification time of the pom and the Java sources."""
    newest = POM.stat().st_mtime
    for path in SRC_DIR.rglob("*"):
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def needs_build() -> bool:
    """Tells whether the launcher classes or runtime jars are missing or stale.

    Returns:
        True when ``target/classes`` or ``target/lib`` is missing, or the pom
        or a source file changed since the last successful build.
    """
    if not (CLASSES / "innograph").is_dir() or not LIB.is_dir() or not BUILD_STAMP.is_file():
        return True
    if not any(LIB.glob("neo4j-*.jar")):
        return True
    return _newest_source_mtime() > BUILD_STAMP.stat().st_mtime


def build(force: bool = False) -> bool:
    """Builds the launcher with Maven when needed.

    ``target/lib`` is emptied first so that jars of an older Neo4j version
    never linger on the class path after the version in the pom changes.

    Args:
        force: Build even when everything looks up to date.

    Returns:
        True if Maven ran, False if the build was already up to date.

    Raises:
        Neo4jLocalError: Maven is missing or the build failed.
    """
    if not force and not needs_build():
        return False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLocalError(
            "Maven ('mvn') is not on PATH; install it (e.g. apt-get install maven)")
    log("building the launcher with Maven (the first run downloads ~170 MB from Maven Central)...")
    shutil.rmtree(LIB, ignore_errors=True)
    BUILD_STAMP.unlink(missing_ok=True)
    started = time.monotonic()
    cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM), "package"]
    proc = subprocess.run(cmd, cwd=TOOL_DIR, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout)
        raise Neo4jLocalError(f"Maven build failed (exit {proc.returncode}): {' '.join(cmd)}")
    BUILD_STAMP.touch()
    log(f"build done in {time.monotonic() - started:.1f} s")
    return True


# --------------------------------------------------------------------------
# Process and state helpers
# --------------------------------------------------------------------------


@contextlib.contextmanager
def run_dir_lock() -> Iterator[None]:
    """Serialises start/stop of this checkout's server with a file lock."""
    RUN_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = RUN_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Runtime state of tools/neo4j/neo4j_local.py\n*\n")
    with open(LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pid_alive(pid: int) -> bool:
    """Tells whether a process exists and is not a zombie.

    Args:
        pid: Process id to check.

    Returns:
        True if the process is running.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # The state letter follows the parenthesised command name.
    return stat.rpartition(")")[2].split()[0] != "Z"


def is_launcher(pid: int) -> bool:
    """Tells whether a live pid is our Java launcher (guards against pid reuse).

    Args:
        pid: Process id to check.

    Returns:
        True if the process runs the launcher main class (or if this cannot be
        checked because /proc is not available).
    """
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return MAIN_CLASS.encode() in cmdline


def port_open(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    """Tells whether a TCP connection to host:port succeeds.

    Args:
        port: TCP port.
        host: Host to connect to.
        timeout: Connect timeout in seconds.

    Returns:
        True if something accepted the connection.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """Returns a TCP port that is currently free on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def read_connection() -> dict | None:
    """Reads connection.json.

    Returns:
        The parsed connection info, or None if the file is missing or broken.
    """
    try:
        return json.loads(CONNECTION_JSON.read_text())
    except (OSError, ValueError):
        return None


def _write_private(path: Path, text: str) -> None:
    """Writes a file atomically with mode 0600."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_connection(info: dict) -> None:
    """Writes connection.json and connection.env, both readable by the owner only.

    Args:
        info: Connection info with uri, user, password, database and more.
    """
    _write_private(CONNECTION_JSON, json.dumps(info, indent=2) + "\n")
    env_lines = [
        f"NEO4J_URI={info['uri']}",
        f"NEO4J_USER={info['user']}",
        f"NEO4J_USERNAME={info['user']}",
        f"NEO4J_PASSWORD={info['password']}",
        f"NEO4J_DATABASE={info['database']}",
    ]
    _write_private(CONNECTION_ENV, "\n".join(env_lines) + "\n")


def clear_connection() -> None:
    """Deletes connection.json and connection.env if present."""
    CONNECTION_JSON.unlink(missing_ok=True)
    CONNECTION_ENV.unlink(missing_ok=True)


def log_tail(path: Path, lines: int = 40) -> str:
    """Returns the last lines of a text file (empty string if unreadable).

    Args:
        path: File to read.
        lines: Number of lines to return.
    """
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def terminate(pid: int, timeout: float) -> bool:
    """Sends SIGTERM, waits, then SIGKILLs if the process is still there.

    Args:
        pid: Process to stop.
        timeout: Seconds to wait after SIGTERM.

    Returns:
        True if the process stopped after SIGTERM, False if it had to be killed.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    return False


# --------------------------------------------------------------------------
# Start / stop / status
# --------------------------------------------------------------------------


def java_executable() -> str:
    """Returns the java to run: $JAVA_HOME/bin/java, else the one on PATH.

    Raises:
        Neo4jLocalError: No java executable was found.
    """
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise Neo4jLocalError(
            "no 'java' found (set JAVA_HOME or put a Java 17 or 21 JDK/JRE on PATH)")
    return java


def java_command(home: Path, port: int, heap: str | None, pagecache: str) -> list[str]:
    """Builds the java command line for the launcher.

    Args:
        home: Neo4j home (data and logs go below it).
        port: Bolt port.
        heap: Value for both -Xms and -Xmx, or None for the defaults.
        pagecache: Page cache size, e.g. "128m".

    Returns:
        The argv list.

    Raises:
        Neo4jLocalError: No java executable was found.
    """
    java = java_executable()
    heap_flags = ([f"-Xms{heap}", f"-Xmx{heap}"] if heap
                  else [f"-Xms{DEFAULT_HEAP_MIN}", f"-Xmx{DEFAULT_HEAP_MAX}"])
    classpath = os.pathsep.join([str(CLASSES), str(LIB / "*")])
    return [
        java, *heap_flags, *NEO4J_JVM_FLAGS,
        "-cp", classpath, MAIN_CLASS,
        "--home", str(home), "--host", HOST, "--port", str(port),
        "--pagecache", pagecache, "--tx-max", DEFAULT_TX_MAX,
    ]


def _launch_once(home: Path, port: int, password: str, heap: str | None,
                 pagecache: str, deadline: float) -> tuple[int | None, str]:
    """Starts the launcher once and waits for its ready line.

    Args:
        home: Neo4j home directory.
        port: Bolt port to use.
        password: Password to give user neo4j.
        heap: Heap size override or None.
        pagecache: Page cache size.
        deadline: time.monotonic() value after which to give up.

    Returns:
        (pid, "") once ready, or (None, reason) if the process died or the
        deadline passed; the process is stopped in the latter cases.
    """
    cmd = java_command(home, port, heap, pagecache)
    env = dict(os.environ)
    env[PASSWORD_ENV] = password
    with open(CONSOLE_LOG, "wb") as console:
        proc = subprocess.Popen(cmd, cwd=home, env=env, stdin=subprocess.DEVNULL,
                                stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
    ready = f"{READY_PREFIX}bolt://{HOST}:{port}"
    try:
        while True:
            text = CONSOLE_LOG.read_text(errors="replace")
            if any(line.strip() == ready for line in text.splitlines()):
                return proc.pid, ""
            code = proc.poll()
            if code is not None:
                return None, f"the Java process exited with code {code}"
            if time.monotonic() > deadline:
                terminate(proc.pid, 30)
                proc.wait()
                return None, "timed out waiting for the ready line"
            time.sleep(0.25)
    except BaseException:
        # Ctrl-C or a bug: do not leave an orphan server without connection.json.
        terminate(proc.pid, 30)
        raise


def start(home: Path, timeout: float, heap: str | None, pagecache: str) -> int:
    """Builds if needed and starts the server, unless one already runs.

    Args:
        home: Neo4j home directory (created if missing).
        timeout: Seconds to wait for the server to become ready (build time excluded).
        heap: Heap size override or None.
        pagecache: Page cache size.

    Returns:
        Process exit code.
    """
    t0 = time.monotonic()
    with run_dir_lock():
        info = read_connection()
        if info and is_launcher(int(info.get("pid", 0))):
            if Path(info["home"]) != home:
                log(f"another server runs from {info['home']} (pid {info['pid']}); stop it first")
                return EXIT_FAIL
            print(f"already running: {info['uri']} (pid {info['pid']}, home {info['home']})")
            return EXIT_OK
        if info:
            log("removing stale connection files of a server that is gone")
            clear_connection()

        build()
        home.mkdir(parents=True, exist_ok=True)
        t_launch = time.monotonic()
        deadline = t_launch + timeout
        password = secrets.token_urlsafe(24)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            pid, reason = _launch_once(home, port, password, heap, pagecache, deadline)
            if pid is not None:
                break
            tail = log_tail(CONSOLE_LOG)
            if "Address already in use" in tail and attempt < PORT_ATTEMPTS:
                log(f"port {port} was taken meanwhile, retrying with another one")
                continue
            sys.stderr.write(tail + "\n")
            log(f"Neo4j did not start: {reason}; full output in {CONSOLE_LOG}, "
                f"Neo4j's own logs in {home / 'logs'}")
            return EXIT_FAIL

        info = {
            "uri": f"bolt://{HOST}:{port}",
            "user": USER,
            "password": password,
            "database": DATABASE,
            "pid": pid,
            "port": port,
            "home": str(home),
            "log": str(CONSOLE_LOG),
        }
        write_connection(info)
    now = time.monotonic()
    print(f"started: {info['uri']} (pid {pid}, home {home}) in {now - t0:.1f} s "
          f"(server {now - t_launch:.1f} s); connection info in {CONNECTION_JSON}")
    return EXIT_OK


def admin(home: Path, heap: str, args: list[str]) -> int:
    """Runs neo4j-admin (``org.neo4j.cli.AdminTool`` from target/lib) on a home.

    The tool finds its data under ``<home>/data`` (where the launcher keeps it)
    and reads ``<home>/conf/neo4j.conf`` if there is one. Relative paths in
    ``args`` are taken from the current directory. Do not point it at the home
    of a running server.

    Args:
        home: Neo4j home (created if missing).
        heap: JVM heap (-Xmx); off-heap memory is an option of the admin
            command itself, e.g. ``--max-off-heap-memory=512m`` for imports.
        args: The admin command line, e.g. ``database import full --nodes=...``.

    Returns:
        The tool's exit code.
    """
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        raise Neo4jLocalError("admin needs a neo4j-admin command, e.g. 'database import full'")
    build()
    (home / "conf").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    classpath = os.pathsep.join([str(CLASSES), str(LIB / "*")])
    cmd = [java_executable(), f"-Xmx{heap}", *NEO4J_JVM_FLAGS, "-cp", classpath, ADMIN_CLASS,
           *args]
    return subprocess.call(cmd, env=env, stdin=subprocess.DEVNULL)


def stop(timeout: float) -> int:
    """Stops the server recorded in connection.json and removes the files.

    Args:
        timeout: Seconds to wait after SIGTERM before sending SIGKILL.

    Returns:
        Process exit code (0 also when nothing was running).
    """
    with run_dir_lock():
        info = read_connection()
        if not info:
            print("not running")
            return EXIT_OK
        pid = int(info.get("pid", 0))
        if is_launcher(pid):
            t0 = time.monotonic()
            clean = terminate(pid, timeout)
            how = "stopped" if clean else "killed (did not stop within the timeout)"
            print(f"{how}: pid {pid} after {time.monotonic() - t0:.1f} s")
        else:
            print("not running (removed stale connection files)")
        clear_connection()
    return EXIT_OK


def status() -> int:
    """Prints whether the server runs and answers on its port (no password).

    Returns:
        0 if it is running and reachable, 3 otherwise.
    """
    info = read_connection()
    if not info:
        print("not running")
        return EXIT_NOT_RUNNING
    pid = int(info.get("pid", 0))
    if not is_launcher(pid):
        print(f"not running (stale {CONNECTION_JSON.name} for pid {pid})")
        return EXIT_NOT_RUNNING
    if not port_open(int(info["port"])):
        print(f"running but not reachable: {info['uri']} (pid {pid}, home {info['home']})")
        return EXIT_NOT_RUNNING
    print(f"running: {info['uri']} (pid {pid}, home {info['home']}, user {info['user']}, "
          f"database {info['database']})")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Parses the command line and runs a subcommand.

    Args:
        argv: Arguments without the program name (defaults to sys.argv[1:]).

    Returns:
        Process exit code.
    """
    parser = argparse.ArgumentParser(
        description="Local Neo4j 5.26 server for innograph (no Docker).")
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the Java launcher if missing or outdated")
    p_build.add_argument("--force", action="store_true", help="build even if up to date")
    run_dir_help = (f"folder for connection.json, connection.env, the console log and the lock "
                    f"(default {RUN_DIR}); use another one for a second server")
    p_start = sub.add_parser("start", help="start the server and write .neo4j/connection.json")
    p_start.add_argument("--home", type=Path, default=None,
                         help=f"Neo4j home with data and logs (default {DEFAULT_HOME}, "
                              "or RUN_DIR/data with --run-dir)")
    p_start.add_argument("--run-dir", type=Path, default=None, help=run_dir_help)
    p_start.add_argument("--timeout", type=float, default=180.0,
                         help="seconds to wait for the server to be ready (default 180)")
    p_start.add_argument("--heap", default=None,
                         help="JVM heap for -Xms and -Xmx "
                              f"(default {DEFAULT_HEAP_MIN}/{DEFAULT_HEAP_MAX})")
    p_start.add_argument("--pagecache", default=DEFAULT_PAGECACHE,
                         help=f"Neo4j page cache size (default {DEFAULT_PAGECACHE})")
    p_stop = sub.add_parser("stop", help="stop the server and delete the connection files")
    p_stop.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait after SIGTERM before SIGKILL (default 60)")
    p_stop.add_argument("--run-dir", type=Path, default=None, help=run_dir_help)
    p_status = sub.add_parser("status", help="exit 0 if running and reachable, 3 if not")
    p_status.add_argument("--run-dir", type=Path, default=None, help=run_dir_help)
    p_admin = sub.add_parser("admin", help="run neo4j-admin (e.g. 'database import full') on a "
                                           "home; no server is started")
    p_admin.add_argument("--home", type=Path, required=True,
                         help="Neo4j home: data goes to HOME/data, where 'start --home' finds it")
    p_admin.add_argument("--heap", default=DEFAULT_ADMIN_HEAP,
                         help=f"JVM heap (default {DEFAULT_ADMIN_HEAP})")
    p_admin.add_argument("args", nargs=argparse.REMAINDER,
                         help="the neo4j-admin command line, e.g. database import full ...")
    args = parser.parse_args(argv)
    if getattr(args, "run_dir", None) is not None:
        use_run_dir(args.run_dir.expanduser().resolve())

    try:
        if args.command == "admin":
            return admin(args.home.expanduser().resolve(), args.heap, args.args)
        if args.command == "build":
            with run_dir_lock():
                info = read_connection()
                if info and is_launcher(int(info.get("pid", 0))):
                    raise Neo4jLocalError(
                        "the server is running from target/lib; stop it before rebuilding")
                if not build(force=args.force):
                    print("up to date")
            return EXIT_OK
        if args.command == "start":
            home = args.home if args.home is not None else DEFAULT_HOME
            return start(home.expanduser().resolve(), args.timeout, args.heap, args.pagecache)
        if args.command == "stop":
            return stop(args.timeout)
        return status()
    except Neo4jLocalError as exc:
        log(f"error: {exc}")
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
