"""Writing artifacts to the output folder: the I/O edge of rendering (DESIGN §1, §5, §6).

The files are written as a set, in two steps: every new file is first staged as a temporary
file beside its target (`.NAME.XXXXXXXX.tmp`, fsynced, with its final mode), then each is
renamed over its target (`Path.replace`). A failure while staging changes nothing; a failure
or an interrupt (Ctrl-C) between the renames puts back the files already renamed, so a run
leaves the old set or the new one, never a mix. (Only a kill -9 or a power cut between two
renames, a window of microseconds after every byte is on disk, can still leave a mix.)
Temporary files a killed run left behind are removed by the next run once they are a minute
old. A file whose content differs is not replaced without `force`; one with identical content
is not rewritten. `plan_writes` computes what would change without writing, so the language
server can ask before `apply` replaces anything.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vllm_wizard.render.artifacts import FILENAMES, PLAN_JSON, Artifact, Artifacts

DEFAULT_DIR = "deploy"
"""The output folder next to the profile when nothing else names one."""

STALE_AFTER_S = 60.0
"""A temporary file this old is a killed run's leftover, not another run's file in flight."""
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
"""`tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")`: eight random [a-z0-9_] between."""

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
    """What happened to one file: written, unchanged, or left alone."""

    name: str
    path: Path
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What happened to every file of one `generate`."""

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


def _current(path: Path) -> tuple[bytes | None, int]:
    """The file's bytes and permission bits now (None when there is none)."""
    try:
        return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None, 0
    except IsADirectoryError:
        raise OutputDirError(f"cannot write {path}: a folder of that name is in the way") from None
    except OSError as exc:
        raise OutputDirError(f"cannot read {path}: {exc.strerror or exc}") from None


def _status(current: bytes | None, data: bytes) -> Status:
    if current is None:
        return "new"
    return "unchanged" if current == data else "changed"


def _files(artifacts: Artifacts | Mapping[str, Artifact]) -> Mapping[str, Artifact]:
    return artifacts.files if isinstance(artifacts, Artifacts) else artifacts


def plan_writes(folder: Path, artifacts: Artifacts | Mapping[str, Artifact]) -> list[PlannedWrite]:
    """What writing `artifacts` into `folder` would do, file by file. Reads, never writes."""
    planned = []
    for name, (content, executable) in _files(artifacts).items():
        _check_name(name)
        path = folder / name
        current = _current(path)[0] if folder.is_dir() else None
        status = _status(current, content.encode("utf-8"))
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


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """`data` in a temporary file beside `path`, on disk, with `mode`: ready to rename."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)  # mkstemp made it 0600; chmod is portable where fchmod is not
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    return temp


def atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix."""
    temp = _stage(path, data, mode)
    try:
        temp.replace(path)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)


def remove_stale_temps(folder: Path, names: Iterable[str], *, now: float | None = None) -> None:
    """Delete the temporary files of `names` that a killed run left (older than a minute);
    others' files and files of other names are left alone."""
    wanted = set(names)
    now = time.time() if now is None else now
    with suppress(OSError):
        for entry in os.scandir(folder):
            match = _TEMP_NAME.match(entry.name)
            if match is None or match["name"] not in wanted:
                continue
            with suppress(OSError):
                if entry.is_file(follow_symlinks=False) and (
                    now - entry.stat(follow_symlinks=False).st_mtime >= STALE_AFTER_S
                ):
                    Path(entry.path).unlink()


@dataclass(frozen=True, slots=True)
class _Staged:
    """A new file ready to rename over `write.path`, and what to put back if the set fails."""

    write: PlannedWrite
    temp: Path
    old: bytes | None
    old_mode: int
    old_link: str | None
    """The old file was this symbolic link (put back as a link, not as its target's bytes)."""


def _commit(staged: list[_Staged]) -> None:
    """Rename every staged file into place; on any failure or interrupt put back those
    already renamed (OutputDirError for a failure, the interrupt itself re-raised)."""
    done: list[_Staged] = []
    for item in staged:
        try:
            item.temp.replace(item.write.path)
        except OSError as exc:
            kept = _roll_back(done)
            outcome = (
                "no file was changed"
                if not kept
                else f"could not put back the old {', '.join(str(p) for p in kept)}"
            )
            raise OutputDirError(
                f"cannot write {item.write.path}: {exc.strerror or exc}; {outcome}"
            ) from None
        except BaseException:
            _roll_back(done)
            raise
        done.append(item)


def _restore_link(path: Path, target: str) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.link{TEMP_SUFFIX}")
    temp.unlink(missing_ok=True)
    temp.symlink_to(target)
    temp.replace(path)


def _roll_back(done: list[_Staged]) -> list[Path]:
    """The old files again; each one is tried whatever the others do. The paths that could
    not be put back."""
    failed: list[Path] = []
    for item in reversed(done):
        try:
            if item.old_link is not None:
                _restore_link(item.write.path, item.old_link)
            elif item.old is None:
                item.write.path.unlink()
            else:
                atomic_write(item.write.path, item.old, item.old_mode)
        except OSError:
            failed.append(item.write.path)
    return failed


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
    """Carry out planned writes as one set (see the module's docstring). Each file is
    compared again first, so a file that changed since `plan_writes` is still never replaced
    without `force`."""
    writes = list(planned)
    _make_folder(folder)
    remove_stale_temps(folder, {*FILENAMES.values(), PLAN_JSON, *(w.name for w in writes)})
    umask = current_umask()
    results: list[WriteResult] = []
    staged: list[_Staged] = []
    try:
        for write in writes:
            data = write.content.encode("utf-8")
            old, old_mode = _current(write.path)
            status = _status(old, data)
            if status == "unchanged":
                results.append(WriteResult(write.name, write.path, "unchanged"))
                continue
            if status == "changed" and not force:
                results.append(WriteResult(write.name, write.path, "changed, not replaced"))
                continue
            mode = (0o777 if write.executable else 0o666) & ~umask
            try:
                temp = _stage(write.path, data, mode)
            except OSError as exc:
                raise OutputDirError(
                    f"cannot write {write.path}: {exc.strerror or exc}; no file was changed"
                ) from None
            link = str(write.path.readlink()) if write.path.is_symlink() else None
            staged.append(_Staged(write, temp, old, old_mode, link))
            results.append(
                WriteResult(write.name, write.path, "written" if status == "new" else "replaced")
            )
        _commit(staged)
    finally:
        for item in staged:  # renamed ones are gone already
            with suppress(OSError):
                item.temp.unlink(missing_ok=True)
    _fsync_folder(folder)
    return WriteReport(folder, tuple(results))


def write_artifacts(
    folder: Path, artifacts: Artifacts | Mapping[str, Artifact], *, force: bool
) -> WriteReport:
    """Write every file into `folder` (created if needed); OutputDirError when impossible."""
    return apply(folder, plan_writes(folder, artifacts), force=force)
