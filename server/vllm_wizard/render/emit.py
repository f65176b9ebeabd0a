"""Writing artifacts to the output folder: the I/O edge of rendering (DESIGN §1, §5, §6).

Writes are atomic (a temporary file in the same folder, fsync, `os.replace`), so a reader
never sees half a file. A file whose content differs is not replaced without `force`; one
with identical content is not rewritten. `plan_writes` computes what would change without
writing, so the language server can ask before `apply` replaces anything.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vllm_wizard.render.artifacts import Artifact, Artifacts

DEFAULT_DIR = "deploy"
"""The output folder next to the profile when nothing else names one."""

Status = Literal["new", "unchanged", "changed"]
Outcome = Literal["written", "replaced", "unchanged", "changed, not replaced"]


class OutputDirError(Exception):
    """The output folder cannot be created or written (the CLI exits 2)."""


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One file and how it compares with what is on disk now."""

    name: str
    path: Path
    content: str
    executable: bool
    status: Status


@dataclass(frozen=True, slots=True)
class WriteResult:
    name: str
    path: Path
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class WriteReport:
    folder: Path
    results: tuple[WriteResult, ...]

    @property
    def refused(self) -> tuple[WriteResult, ...]:
        """Files left alone because they differ and `force` was not given."""
        return tuple(r for r in self.results if r.outcome == "changed, not replaced")

    @property
    def ok(self) -> bool:
        return not self.refused


def resolve_output_dir(
    cli_output: str | os.PathLike[str] | None,
    profile_dir: Path,
    outputs_dir: str | None,
    setting_dir: str | None,
) -> Path:
    """DESIGN §6: CLI `-o` > `outputs.dir` > the editor setting > `deploy/` by the profile.

    `-o` is taken as given (relative to the working directory); the others are relative to
    the profile's folder. `~` is expanded in all of them.
    """
    if cli_output is not None and os.fspath(cli_output):
        return Path(cli_output).expanduser()
    for written in (outputs_dir, setting_dir):
        if written:
            return profile_dir / Path(written).expanduser()
    return profile_dir / DEFAULT_DIR


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or Path(name).name != name or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")


def _status(path: Path, data: bytes) -> Status:
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return "new"
    except IsADirectoryError:
        raise OutputDirError(f"cannot write {path}: a folder of that name is in the way") from None
    except OSError as exc:
        raise OutputDirError(f"cannot read {path}: {exc.strerror or exc}") from None
    return "unchanged" if current == data else "changed"


def _files(artifacts: Artifacts | Mapping[str, Artifact]) -> Mapping[str, Artifact]:
    return artifacts.files if isinstance(artifacts, Artifacts) else artifacts


def plan_writes(folder: Path, artifacts: Artifacts | Mapping[str, Artifact]) -> list[PlannedWrite]:
    """What writing `artifacts` into `folder` would do, file by file. Reads, never writes."""
    planned = []
    for name, (content, executable) in _files(artifacts).items():
        _check_name(name)
        path = folder / name
        status = _status(path, content.encode("utf-8")) if folder.is_dir() else "new"
        planned.append(PlannedWrite(name, path, content, executable, status))
    return planned


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (threads share it)."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)  # mkstemp made it 0600; chmod is portable where fchmod is not
        temp.replace(path)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputDirError(
            f"cannot use {folder} as the output folder: it exists and is not a folder"
        ) from None
    except OSError as exc:
        raise OutputDirError(
            f"cannot create the output folder {folder}: {exc.strerror or exc}"
        ) from None


def apply(folder: Path, planned: Iterable[PlannedWrite], *, force: bool) -> WriteReport:
    """Carry out planned writes. Each file is compared again first, so a file that changed
    since `plan_writes` is still never replaced without `force`."""
    writes = list(planned)
    _make_folder(folder)
    umask = current_umask()
    results: list[WriteResult] = []
    for write in writes:
        data = write.content.encode("utf-8")
        status = _status(write.path, data)
        if status == "unchanged":
            results.append(WriteResult(write.name, write.path, "unchanged"))
            continue
        if status == "changed" and not force:
            results.append(WriteResult(write.name, write.path, "changed, not replaced"))
            continue
        mode = (0o777 if write.executable else 0o666) & ~umask
        try:
            atomic_write(write.path, data, mode)
        except OSError as exc:
            raise OutputDirError(f"cannot write {write.path}: {exc.strerror or exc}") from None
        results.append(
            WriteResult(write.name, write.path, "written" if status == "new" else "replaced")
        )
    return WriteReport(folder, tuple(results))


def write_artifacts(
    folder: Path, artifacts: Artifacts | Mapping[str, Artifact], *, force: bool
) -> WriteReport:
    """Write every file into `folder` (created if needed); OutputDirError when impossible."""
    return apply(folder, plan_writes(folder, artifacts), force=force)
