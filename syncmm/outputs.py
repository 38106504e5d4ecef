"""The one output gate: every file a command writes (report, plot, JUnit, corrected media, render, batch results).

Rules, checked before any work starts (:meth:`OutputGate.claim`):

* never an input of the job (compared by resolved path and by inode, so hard links count), never another output
  of the same command;
* ``-`` means standard output (only for text outputs, and only once); any other existing target must be a regular
  file: a device, FIFO or socket is refused instead of being replaced by a regular file; a symlink is written
  through to the file it points to (the link stays a link);
* an existing file is replaced only with ``-y/--overwrite``; a trailing ``/``, a folder, a missing or read-only
  folder and a name too long for the file system are refused with one line;
* files are written to a temporary name beside the target and renamed into place.  The temporary name carries the
  writer's process id (``.NAME.syncmm-PID-XXXXXX.EXT``); a temporary file whose process is gone (kill -9, power
  loss) is removed by the next syncmm command that writes into the same folder (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from .exceptions import OutputError, ParameterError

STDOUT = "-"
_TEMP_RE = re.compile(r"^\..*\.syncmm-(\d+)-[0-9a-f]{8}(\.[^./]{1,16})?$")
_swept: set[str] = set()


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):  # pragma: no cover - not POSIX
        return 255


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep(folder: str | os.PathLike) -> list[Path]:
    """Remove syncmm temporary files in ``folder`` whose writing process no longer exists; return them."""
    d = Path(folder)
    key = str(d.resolve()) if d.exists() else str(d)
    if key in _swept:
        return []
    _swept.add(key)
    gone = []
    try:
        names = [n for n in os.listdir(d) if n.startswith(".") and ".syncmm-" in n]
    except OSError:
        return gone
    for n in names:
        m = _TEMP_RE.match(n)
        if not m or _alive(int(m.group(1))):
            continue
        p = d / n
        with contextlib.suppress(OSError):
            st = p.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid():
                p.unlink()
                gone.append(p)
    return gone


def temp_name(target: Path) -> Path:
    """A temporary name beside ``target`` that fits the file system's name limit and names this process."""
    tag = f".syncmm-{os.getpid()}-{os.urandom(4).hex()}"  # (secrets.token_hex, without importing hashlib)
    suffix = target.suffix if 0 < len(target.suffix) <= 17 else ""
    room = _name_max(target.parent) - len(("." + tag + suffix).encode())
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    b = stem.encode()[: max(room, 1)]
    stem = b.decode("utf-8", "ignore")
    return target.parent / f".{stem}{tag}{suffix}"


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _same(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # a symlink loop
        return False


class OutputGate:
    """Checks every output of one command against its inputs and against each other.

    Parameters
    ----------
    inputs : iterable of path
        Every file the command reads (for ``batch``: the manifest and every media file it names).
    overwrite : bool
        ``-y/--overwrite``: an existing regular file may be replaced.
    """

    def __init__(self, inputs: Iterable[str | os.PathLike] = (), overwrite: bool = False) -> None:
        self.inputs = [Path(i) for i in inputs if str(i) != STDOUT]
        self.overwrite = overwrite
        self._claimed: list[tuple[Path | None, str]] = []

    def add_inputs(self, inputs: Iterable[str | os.PathLike]) -> None:
        """Add inputs found later (a manifest's media files); already claimed outputs are re-checked."""
        new = [Path(i) for i in inputs]
        self.inputs += new
        for p, what in self._claimed:
            if p is not None:
                self._not_input(p, what, new)

    def _not_input(self, p: Path, what: str, inputs: Iterable[Path]) -> None:
        for i in inputs:
            if _same(p, i):
                raise OutputError(f"{p}: is an input file; refusing to overwrite it ({what})")

    def claim(
        self, path: str | os.PathLike | None, what: str = "--output", *, stdout_ok: bool = False, append: bool = False
    ) -> Path | None:
        """Check one output and reserve it; return its path (symlinks resolved), or None for standard output.

        Parameters
        ----------
        path : path or str
            As the user gave it (a ``str`` keeps a trailing ``/``).
        what : str
            The option, for messages.
        stdout_ok : bool
            ``-`` may mean standard output.
        append : bool
            The output is appended to (batch results): an existing file is fine without ``overwrite``.

        Raises
        ------
        OutputError
            An input, not a regular file, exists without ``-y``, folder missing or not writable, name too long.
        ParameterError
            The same path given for two outputs, or ``-`` where standard output is not possible.
        """
        if path is None:
            raise ParameterError(f"{what}: no path given")
        raw = os.fspath(path)
        if raw == STDOUT:
            if not stdout_ok:
                raise ParameterError(f"{what}: '-' (standard output) is not possible here; give a file name")
            if any(p is None for p, _ in self._claimed):
                raise ParameterError(f"{what}: standard output is already used by another output")
            self._claimed.append((None, what))
            return None
        if raw == "" or raw.endswith(("/", os.sep)):
            raise OutputError(f"{raw or repr(raw)}: names a folder; give a file name ({what})")
        p = Path(raw)
        try:
            if p.is_symlink():
                p = p.resolve(strict=False)
        except (OSError, RuntimeError) as e:
            raise OutputError(f"{raw}: cannot resolve the link ({e})") from None
        self._not_input(p, what, self.inputs)
        for q, other in self._claimed:
            if q is not None and _same(p, q):
                raise ParameterError(f"{raw}: given for both {other} and {what}; use two different files")
        try:
            st = os.stat(p)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise OutputError(f"{raw}: cannot be written ({e.strerror or e})") from None
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                raise OutputError(f"{raw}: is a directory ({what})")
            if not stat.S_ISREG(st.st_mode):
                hint = " (use - for standard output)" if stdout_ok else ""
                raise OutputError(f"{raw}: is not a regular file (a device, pipe or socket); refusing it{hint}")
            if not (self.overwrite or append):
                raise OutputError(f"{raw}: already exists (use -y/--overwrite to replace it)")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"{raw}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise OutputError(f"{raw}: folder {parent} is not writable")
        if len(p.name.encode()) > _name_max(parent):
            raise OutputError(f"{raw}: file name too long for the file system ({len(p.name.encode())} bytes)")
        sweep(parent)
        self._claimed.append((p, what))
        return p


def check_output_path(
    path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), overwrite: bool = False
) -> Path:
    """One output checked on its own (see :class:`OutputGate`); returns the path to write."""
    p = OutputGate(inputs, overwrite).claim(path)
    assert p is not None
    return p


def _commit(tmp: Path, target: Path, overwrite: bool) -> None:
    from ._proc import raise_if_interrupted

    raise_if_interrupted()  # a stop that arrived during the write: nothing is renamed into place
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, _umask_mode())
    if not overwrite and target.exists():  # appeared while we were writing
        raise OutputError(f"{target}: already exists (use -y/--overwrite to replace it)")
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), overwrite: bool = False, *,
    checked: bool = False,
) -> Iterator[Path]:  # fmt: skip
    """Yield a temporary path beside ``path`` (same extension) and rename it into place on success.

    The output is checked first unless ``checked`` (it went through an :class:`OutputGate`).  On any exception,
    Ctrl-C included, the temporary file is removed and ``path`` is left as it was.
    """
    p = Path(path) if checked else check_output_path(path, inputs, overwrite)
    tmp = temp_name(p)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as e:
        raise OutputError(f"{p}: cannot write ({e.strerror or e})") from e
    try:
        yield tmp
        _commit(tmp, p, overwrite)
    except OSError as e:
        raise OutputError(f"{p}: cannot write ({e.strerror or e})") from e
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_atomic(
    path: str | os.PathLike | None,
    data: str | bytes,
    inputs: Iterable[str | os.PathLike] = (),
    overwrite: bool = False,
    *,
    checked: bool = False,
) -> Path | None:
    """Write ``data`` atomically to ``path``; ``None`` (a gate's answer for ``-``) writes it to standard output."""
    if path is None:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return None
    with atomic_output(path, inputs, overwrite, checked=checked) as tmp:
        with open(tmp, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return Path(path)
