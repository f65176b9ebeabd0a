"""Writing artifacts: atomic, modes from the umask, changed files kept without force."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vllm_wizard.render.artifacts import Artifact
from vllm_wizard.render.emit import (
    OutputDirError,
    apply,
    plan_writes,
    resolve_output_dir,
    write_artifacts,
)

FILES = {
    "serve_command.sh": Artifact("#!/usr/bin/env bash\nexec vllm serve m\n", True),
    "plan.json": Artifact('{"starts": true}\n', False),
}


def outcomes(folder: Path, *, force: bool = False) -> dict[str, str]:
    report = write_artifacts(folder, FILES, force=force)
    assert report.folder == folder
    return {r.name: r.outcome for r in report.results}


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_new_then_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "deploy"
    assert outcomes(folder) == {"serve_command.sh": "written", "plan.json": "written"}
    assert (folder / "plan.json").read_text() == '{"starts": true}\n'
    mtime = (folder / "plan.json").stat().st_mtime_ns
    assert outcomes(folder) == {"serve_command.sh": "unchanged", "plan.json": "unchanged"}
    assert (folder / "plan.json").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in folder.iterdir()) == ["plan.json", "serve_command.sh"]


def test_a_changed_file_is_kept_without_force(tmp_path: Path) -> None:
    write_artifacts(tmp_path, FILES, force=False)
    edited = tmp_path / "plan.json"
    edited.write_text("mine\n")
    report = write_artifacts(tmp_path, FILES, force=False)
    assert [(r.name, r.outcome) for r in report.results] == [
        ("serve_command.sh", "unchanged"),
        ("plan.json", "changed, not replaced"),
    ]
    assert [r.name for r in report.refused] == ["plan.json"]
    assert not report.ok
    assert edited.read_text() == "mine\n"


def test_force_replaces_atomically(tmp_path: Path) -> None:
    write_artifacts(tmp_path, FILES, force=False)
    target = tmp_path / "plan.json"
    target.write_text("mine\n")
    link = tmp_path / "old-link"
    os.link(target, link)  # a second name for the old file
    assert outcomes(tmp_path, force=True)["plan.json"] == "replaced"
    assert target.read_text() == '{"starts": true}\n'
    assert link.read_text() == "mine\n"  # a new file took the name: never rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "old-link",
        "plan.json",
        "serve_command.sh",
    ]


def test_a_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("keep\n")
    folder = tmp_path / "deploy"
    folder.mkdir()
    (folder / "plan.json").symlink_to(elsewhere)
    assert outcomes(folder, force=True)["plan.json"] == "replaced"
    assert not (folder / "plan.json").is_symlink()
    assert elsewhere.read_text() == "keep\n"


def test_modes_follow_the_umask(tmp_path: Path, umask_027: None) -> None:
    write_artifacts(tmp_path, FILES, force=False)
    assert stat.S_IMODE((tmp_path / "serve_command.sh").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o640


def test_plan_writes_only_reads(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    planned = plan_writes(folder, FILES)
    assert [(p.name, p.status) for p in planned] == [
        ("serve_command.sh", "new"),
        ("plan.json", "new"),
    ]
    assert not folder.exists()
    folder.mkdir()
    (folder / "plan.json").write_text('{"starts": true}\n')
    (folder / "serve_command.sh").write_text("other\n")
    statuses = [(p.name, p.status) for p in plan_writes(folder, FILES)]
    assert statuses == [("serve_command.sh", "changed"), ("plan.json", "unchanged")]


def test_apply_compares_again(tmp_path: Path) -> None:
    planned = plan_writes(tmp_path, FILES)
    assert all(p.status == "new" for p in planned)
    (tmp_path / "plan.json").write_text("appeared meanwhile\n")
    report = apply(tmp_path, planned, force=False)
    assert {r.name: r.outcome for r in report.results}["plan.json"] == "changed, not replaced"
    assert (tmp_path / "plan.json").read_text() == "appeared meanwhile\n"


def test_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "deploy"
    blocker.write_text("")
    with pytest.raises(OutputDirError) as caught:
        write_artifacts(blocker, FILES, force=False)
    assert str(caught.value) == (
        f"cannot use {blocker} as the output folder: it exists and is not a folder"
    )


def test_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    folder = tmp_path / "file" / "deploy"
    with pytest.raises(OutputDirError) as caught:
        write_artifacts(folder, FILES, force=False)
    assert str(caught.value) == f"cannot create the output folder {folder}: Not a directory"


def test_a_folder_in_place_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()
    with pytest.raises(OutputDirError) as caught:
        write_artifacts(tmp_path, FILES, force=True)
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'plan.json'}: a folder of that name is in the way"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputDirError) as caught:
            write_artifacts(folder, FILES, force=False)
        assert str(caught.value).startswith(f"cannot write {folder / 'serve_command.sh'}:")
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "/abs"])
def test_only_plain_file_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        plan_writes(tmp_path, {name: Artifact("x", False)})


def test_output_folder_precedence(tmp_path: Path) -> None:
    profile_dir = tmp_path / "profiles"
    assert resolve_output_dir("out", profile_dir, "gen", "setting") == Path("out")
    assert resolve_output_dir(None, profile_dir, "gen", "setting") == profile_dir / "gen"
    assert resolve_output_dir(None, profile_dir, None, "setting") == profile_dir / "setting"
    assert resolve_output_dir(None, profile_dir, None, None) == profile_dir / "deploy"
    assert resolve_output_dir(None, profile_dir, "/abs/out", None) == Path("/abs/out")
    home = resolve_output_dir("~/x", profile_dir, None, None)
    assert home == Path.home() / "x"
    assert resolve_output_dir("", profile_dir, None, "") == profile_dir / "deploy"


# ----------------------------------------------------------------------------- the set as one

OLD = {"serve_command.sh": "old serve\n", "plan.json": "old plan\n"}
NEW = {
    "serve_command.sh": Artifact("new serve\n", True),
    "plan.json": Artifact("new plan\n", False),
    "docker_run.sh": Artifact("new docker\n", True),
}


def _old_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "deploy"
    folder.mkdir()
    for name, text in OLD.items():
        (folder / name).write_text(text)
    (folder / "serve_command.sh").chmod(0o751)
    return folder


def _fail_rename(monkeypatch: pytest.MonkeyPatch, number: int, error: BaseException) -> None:
    """Make the `number`-th os.replace (1-based) raise `error`; the others work."""
    real = os.replace
    calls = {"n": 0}

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == number:
            raise error
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def _state(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("number", [1, 2, 3])
def test_a_failed_rename_puts_the_old_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    folder = _old_folder(tmp_path)
    _fail_rename(monkeypatch, number, OSError(28, "No space left on device"))
    with pytest.raises(OutputDirError) as caught:
        write_artifacts(folder, NEW, force=True)
    failed = list(NEW)[number - 1]
    assert str(caught.value) == (
        f"cannot write {folder / failed}: No space left on device; no file was changed"
    )
    # the old files with their modes, no new file, no temporary file
    assert _state(folder) == {"plan.json": "old plan\n", "serve_command.sh": "old serve\n"}
    assert stat.S_IMODE((folder / "serve_command.sh").stat().st_mode) == 0o751


def test_an_interrupt_between_renames_puts_the_old_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _old_folder(tmp_path)
    _fail_rename(monkeypatch, 3, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        write_artifacts(folder, NEW, force=True)
    assert _state(folder) == {"plan.json": "old plan\n", "serve_command.sh": "old serve\n"}


def test_a_failure_while_staging_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _old_folder(tmp_path)
    real = tempfile.mkstemp
    made: list[str] = []

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if len(made) == 2:
            raise OSError(122, "Disk quota exceeded")
        fd, name = real(*args, **kwargs)
        made.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(OutputDirError) as caught:
        write_artifacts(folder, NEW, force=True)
    assert str(caught.value) == (
        f"cannot write {folder / 'docker_run.sh'}: Disk quota exceeded; no file was changed"
    )
    assert _state(folder) == {"plan.json": "old plan\n", "serve_command.sh": "old serve\n"}


def test_a_symlink_is_put_back_as_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _old_folder(tmp_path)
    (tmp_path / "mine.json").write_text("mine\n")
    (folder / "plan.json").unlink()
    (folder / "plan.json").symlink_to(tmp_path / "mine.json")
    _fail_rename(monkeypatch, 3, OSError(5, "Input/output error"))
    with pytest.raises(OutputDirError):
        write_artifacts(folder, NEW, force=True)
    assert (folder / "plan.json").readlink() == tmp_path / "mine.json"
    assert sorted(p.name for p in folder.iterdir()) == ["plan.json", "serve_command.sh"]


def test_a_killed_runs_temporary_files_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    stale = folder / ".serve_command.sh.k3x_9a0q.tmp"  # mkstemp's name; a kill -9 left it
    fresh = folder / ".plan.json.abcdefgh.tmp"  # another run's file, in flight
    others = [
        folder / ".notes.txt.abcdefgh.tmp",  # not a file we write
        folder / ".serve_command.sh.tmp",  # not mkstemp's pattern
        folder / "keep.tmp",
    ]
    for path in [stale, fresh, *others]:
        path.write_text("partial")
    old = time.time() - 120
    for path in [stale, *others]:
        os.utime(path, (old, old))
    write_artifacts(folder, FILES, force=False)
    assert not stale.exists()
    assert fresh.exists() and all(p.exists() for p in others)
    # a later run, once it is stale too
    os.utime(fresh, (old, old))
    write_artifacts(folder, FILES, force=False)
    assert not fresh.exists()
