"""Outputs that never destroy an input: same-file refusal, atomic writes, free-space checks.

Every output is written to a temporary file in its own directory and renamed
into place only when complete; a failure removes the temporary file, so the
old file (if any) is untouched. An output that is the same file as an input
(compared by device and inode, so a hard link or a symlink is caught too) is
refused before anything is opened for writing.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "out.txt")
>>> with atomic_write(path, "w") as file:
...     _ = file.write("done")
>>> open(path).read(), sorted(os.listdir(folder))
('done', ['out.txt'])
>>> try:
...     with atomic_write(path, "w") as file:
...         _ = file.write("half")
...         raise RuntimeError("disk on fire")
... except RuntimeError:
...     pass
>>> open(path).read(), sorted(os.listdir(folder))
('done', ['out.txt'])
>>> with atomic_write(os.devnull, "w") as file:  # not a regular file: written in place, never replaced
...     _ = file.write("gone")
>>> import stat; stat.S_ISCHR(os.stat(os.devnull).st_mode)
True
>>> refuse_same_file({"--out": path}, [path])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
groundstation.errors.UserError: --out: ... is the same file as the input ...; writing it would destroy the input. Choose another output name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping

from groundstation.errors import UserError

#: Space left free on the output's file system after a big write (bytes).
FREE_SPACE_MARGIN_BYTES = 64 << 20


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def refuse_same_file(outputs: Mapping[str, str | None], inputs: Iterable[str | None]) -> None:
    """:class:`UserError` when an output (``{option: path}``) is an input, a directory, or another output.

    Paths that do not exist yet are fine; ``None`` and ``-`` (stdout/stdin) are skipped.
    """
    known_inputs = {}
    for path in inputs:
        if path and path != "-":
            identity = _identity(path)
            if identity is not None:
                known_inputs.setdefault(identity, path)
    seen_outputs: dict[object, str] = {}
    for option, path in outputs.items():
        if path == "":
            raise UserError(f"{option}: the file name is empty; give a name")
        if path is None or path == "-":
            continue
        if os.path.isdir(path):
            raise UserError(f"{option}: {path!r} is a directory; give a file name")
        identity = _identity(path)
        if identity is not None and identity in known_inputs:
            raise UserError(
                f"{option}: {path!r} is the same file as the input {known_inputs[identity]!r}; writing it would "
                "destroy the input. Choose another output name."
            )
        key = identity or os.path.abspath(path)
        if key in seen_outputs:
            raise UserError(f"{option}: {path!r} is also the output of {seen_outputs[key]}; give two different names")
        seen_outputs[key] = option


def check_writable_folder(path: str, option: str) -> str:
    """The folder ``path`` will be written in, or :class:`UserError` if it does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{option}: cannot write {path!r}: the folder {folder!r} does not exist")
    return folder


def check_free_space(path: str, needed_bytes: float, option: str) -> None:
    """:class:`UserError` when writing ``needed_bytes`` next to ``path`` would fill its file system."""
    folder = check_writable_folder(path, option)
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if needed_bytes + FREE_SPACE_MARGIN_BYTES > free:
        raise UserError(
            f"{option}: {path!r} would take {needed_bytes / 1e9:.3g} GB but {folder!r} has {free / 1e9:.3g} GB free; "
            "shorten the recording, lower the sample rate or choose another disk"
        )


class AtomicFile:
    """A temporary file beside ``path``; :meth:`commit` renames it into place, :meth:`discard` removes it.

    A symlink is followed (the file it points to is replaced, the link stays). A path that exists and
    is not a regular file (``/dev/null``, a FIFO, a terminal) is written directly: it cannot be replaced.
    """

    def __init__(self, path: str, mode: str = "wb", option: str = "--out", encoding: str | None = None) -> None:
        if "b" not in mode and encoding is None:
            encoding = "utf-8"
        self.option = option
        self.temporary = None
        if not path.strip():
            raise UserError(f"{option}: the file name is empty; give one")
        if os.path.islink(path):
            path = os.path.realpath(path)
        self.path = path
        try:
            status = os.stat(path)
        except (OSError, ValueError):
            status = None
        if status is not None and not stat.S_ISREG(status.st_mode):
            try:
                self.file = open(path, mode, encoding=encoding)
            except OSError as error:
                raise UserError(f"{option}: cannot write {path!r}: {error.strerror}") from None
            return
        folder = check_writable_folder(path, option)
        try:
            handle, self.temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                                      suffix=".part")
        except OSError as error:
            raise UserError(f"{option}: cannot write {path!r}: {error.strerror}") from None
        self.file = os.fdopen(handle, mode, encoding=encoding)

    def commit(self) -> None:
        """Flush, sync and rename into place (permissions as a new file would get)."""
        if self.temporary is None:
            try:
                self.file.close()
            except OSError as error:
                raise UserError(f"{self.option}: cannot write {self.path!r}: {error.strerror}") from None
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temporary, 0o666 & ~umask)
            os.replace(self.temporary, self.path)
        except OSError as error:
            self.discard()
            raise UserError(f"{self.option}: cannot write {self.path!r}: {error.strerror}") from None

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb", option: str = "--out", encoding: str | None = None,
                 keep_on_interrupt: bool = False) -> Iterator:
    """Write ``path`` whole or not at all. ``keep_on_interrupt``: Ctrl-C keeps what was written so far
    (a live decode ends that way)."""
    atomic = AtomicFile(path, mode, option, encoding)
    try:
        yield atomic.file
    except KeyboardInterrupt:
        if keep_on_interrupt:
            atomic.commit()
        else:
            atomic.discard()
        raise
    except BaseException:
        atomic.discard()
        raise
    atomic.commit()
