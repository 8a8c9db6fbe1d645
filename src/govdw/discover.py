"""Find the files in the raw folder: a sorted walk with sha256, mtime and each file's region.

The one set of rules for what is a file under raw/ (the Dagster partitions and the sensor walk
the folder through `walk` too):

- hidden files and folders (`.x`), Office lock files (`~$x`) and the root README.md are skipped;
- symbolic links are followed only when their target is inside the raw folder, for files and
  folders alike; a link out of raw/, a broken link and a link loop are not followed;
- a FIFO, socket or device is never opened (a FIFO would block the run);
- file and folder names in any bytes are shown as text: UTF-8, else GB18030 (the names unzip
  gives archives made on Chinese Windows), else UTF-8 with `\\xNN` escapes for the other bytes.

Everything that is not followed or cannot be opened still comes back as an entry, with
`problem` saying what it is and what to do: it ends quarantined in audit_files.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import stat as st
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from govdw.regions import explain_region, region_in_text, resolve_region
from govdw.types import FileEntry, Fingerprint

_CHUNK = 1 << 20  # 1 MiB: constant memory on large exports

NOT_IN_REGION_FOLDER = "file is not inside a region folder: put it under raw/<region code or name>/"

LINK_OUTSIDE = (
    "symbolic link to {target}, outside the raw folder: govdw follows links only inside raw/; "
    "copy the export into raw/ instead of linking to it"
)
LINK_BROKEN = (
    "broken symbolic link (its target {target} does not exist): restore the target or remove "
    "the link"
)
LINK_LOOP = (
    "symbolic link loop (the link leads back to itself or to a folder above it): remove the link"
)
LINK_UNREADABLE = "symbolic link that cannot be followed ({why}): fix or remove the link"
NOT_A_FILE = (
    "{what}, not a regular file: govdw never opens it; remove it from raw/ and drop the export "
    "as an ordinary file"
)
FOLDER_UNREADABLE = "folder that cannot be listed ({why}): fix its permissions"


@dataclass(frozen=True)
class Found:
    """One path under raw/ that the walk reports: a regular file, or something with a problem."""

    path: Path
    rel_path: str
    problem: str | None = None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks.

    Opened non-blocking and checked to be a regular file first, so a FIFO swapped in after the
    walk raises OSError instead of blocking the run.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not st.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb", closefd=False) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


def _skipped(name: str) -> bool:
    """Hidden files and folders, and Office lock files (~$Book1.xlsx)."""
    return name.startswith(".") or name.startswith("~$")


def display_name(name: str) -> str:
    """A file or folder name as readable text.

    Names that are not UTF-8 reach Python with surrogate escapes; their bytes are decoded as
    GB18030 (Chinese Windows), else as UTF-8 with `\\xNN` escapes for the bytes that are neither.
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return escaped_name(name)


def escaped_name(name: str) -> str:
    """A name with every byte that is not UTF-8 written `\\xNN` (lossless, always valid text)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _shown_names(names: list[str]) -> dict[str, str]:
    """Display names of one folder's entries; a decoded name that would equal a sibling's name
    falls back to the escaped form, so two files never share a relative path."""
    shown = {n: display_name(n) for n in names}
    native = {n for n in names if shown[n] == n}
    taken = set(native)
    for n in names:
        if n in native:
            continue
        if shown[n] in taken:
            shown[n] = escaped_name(n)
        taken.add(shown[n])
    return shown


def _kind_of(mode: int) -> str | None:
    if st.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if st.S_ISSOCK(mode):
        return "a socket"
    if st.S_ISCHR(mode) or st.S_ISBLK(mode):
        return "a device file"
    if st.S_ISREG(mode) or st.S_ISDIR(mode):
        return None
    return "a special file"


def _link_problem(path: Path, raw_dir: Path) -> tuple[str | None, os.stat_result | None]:
    """Follow one symlink: (problem, None) when it must not be followed, else (None, stat)."""
    try:
        target_text = os.readlink(path)
    except OSError as exc:
        return LINK_UNREADABLE.format(why=exc.strerror or exc), None
    shown_target = display_name(target_text)
    try:
        followed = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LINK_LOOP, None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return LINK_BROKEN.format(target=shown_target), None
        return LINK_UNREADABLE.format(why=exc.strerror or exc), None
    real = Path(os.path.realpath(path))
    if real != raw_dir and not real.is_relative_to(raw_dir):
        return LINK_OUTSIDE.format(target=display_name(str(real))), None
    return None, followed


def walk(raw_dir: Path) -> list[Found]:
    """Every path under `raw_dir` that is a file (or pretends to be one), sorted by rel_path.

    Regular files come with `problem=None`; links out of raw/, broken links, link loops, FIFOs,
    sockets, devices and unlistable folders come with the reason they are quarantined.
    """
    raw_dir = Path(raw_dir).resolve()
    found: list[Found] = []
    if not raw_dir.is_dir():
        return found
    root = os.stat(raw_dir)

    def visit(folder: Path, parts: tuple[str, ...], ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            if parts:  # the raw folder itself unreadable: nothing to report per file
                found.append(
                    Found(folder, "/".join(parts), FOLDER_UNREADABLE.format(why=exc.strerror))
                )
            return
        shown = _shown_names(names)
        for name in names:
            if _skipped(name) or (not parts and name.lower() == "readme.md"):
                continue
            path = folder / name
            rel_parts = (*parts, shown[name])
            rel = "/".join(rel_parts)
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue  # removed while we walked: it will simply not be seen this run
            except OSError as exc:
                found.append(Found(path, rel, f"cannot read the file: {exc.strerror or exc}"))
                continue
            if st.S_ISLNK(info.st_mode):
                problem, followed = _link_problem(path, raw_dir)
                if problem is not None or followed is None:
                    found.append(Found(path, rel, problem))
                    continue
                info = followed
            if st.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    found.append(Found(path, rel, LINK_LOOP))
                    continue
                visit(path, rel_parts, ancestors | {key})
                continue
            what = _kind_of(info.st_mode)
            found.append(Found(path, rel, None if what is None else NOT_A_FILE.format(what=what)))

    visit(raw_dir, (), frozenset({(root.st_dev, root.st_ino)}))
    return sorted(found, key=lambda f: f.rel_path)


def _region(rel_path: str) -> tuple[str | None, str | None]:
    parts = rel_path.split("/")
    if len(parts) < 2:
        return None, NOT_IN_REGION_FOLDER
    folder = parts[0]
    code = resolve_region(folder)
    return code, None if code else explain_region(folder)


def cached_sha256(path: Path, info: os.stat_result, known: Fingerprint | None) -> str:
    """The sha256 of `path`: `known`'s when its size and mtime equal `info`'s, else hashed anew."""
    if known and known.sha256 and (known.size, known.mtime_ns) == (info.st_size, info.st_mtime_ns):
        return known.sha256
    return sha256_file(path)


def _entry(found: Found, known: Fingerprint | None = None) -> FileEntry:
    """The FileEntry of one walked path (hash, size, mtime, region); `known` is the path's last
    fingerprint, whose hash is reused while the size and mtime are unchanged."""
    code, error = _region(found.rel_path)
    if found.problem is not None:
        try:
            mtime = os.lstat(found.path).st_mtime
        except OSError:
            mtime = 0.0
        return FileEntry(
            path=found.path,
            rel_path=found.rel_path,
            size_bytes=0,  # never opened: no bytes were read
            modified_at=datetime.fromtimestamp(mtime),
            sha256="",
            region_code=code,
            region_error=error,
            problem=found.problem,
        )
    info = os.stat(found.path)
    try:
        digest = cached_sha256(found.path, info, known)
    except FileNotFoundError:
        raise  # removed since the walk: not seen this run
    except OSError as exc:
        # An unreadable file must not stop the walk: it gets no region, so it is quarantined
        # with this reason.
        digest, code, error = "", None, f"cannot read the file: {exc.strerror or exc}"
    return FileEntry(
        path=found.path,
        rel_path=found.rel_path,
        size_bytes=info.st_size,
        modified_at=datetime.fromtimestamp(info.st_mtime),
        sha256=digest,
        region_code=code,
        region_error=error,
        mtime_ns=info.st_mtime_ns,
    )


def discover(raw_dir: Path, known: Mapping[str, Fingerprint] | None = None) -> list[FileEntry]:
    """Every data file under ``raw_dir``, sorted by relative path ([] if there is no folder).

    `known`: rel_path -> the file's last fingerprint; a file whose size and mtime still match
    keeps its sha256 without being read again (the hash stays the proof when they differ).
    """
    known = known or {}
    entries: list[FileEntry] = []
    for found in walk(Path(raw_dir)):
        try:
            entries.append(_entry(found, known.get(found.rel_path)))
        except FileNotFoundError:
            continue  # removed while we walked: it will simply not be seen this run
    return sorted(entries, key=lambda e: e.rel_path)


def has_data_files(raw_dir: Path) -> bool:
    """Whether `raw_dir` holds a file a run would read (not counting links out, pipes, …)."""
    return any(found.problem is None for found in walk(raw_dir))


# ------------------------------------------------------------------ one file, anywhere (inspect)


def _region_elsewhere(file: Path, given: str | None) -> tuple[str | None, str | None]:
    """(region code, why none) for a file outside a region folder: `given` (--region), else the
    nearest folder that names a region, else a region in the file name."""
    if given:
        code = resolve_region(given)
        return code, None if code else explain_region(given)
    for part in reversed(file.resolve().parent.parts):
        code = resolve_region(part)
        if code:
            return code, None
    code = region_in_text(file.name)
    if code:
        return code, None
    return None, (
        "no region: neither its folders nor its file name name one; give --region CODE "
        "(e.g. --region 653024)"
    )


def entry_for(file: Path, raw: Path, region: str | None = None) -> FileEntry:
    """The FileEntry of one file (hash streamed, size, mtime, region). A file in a region folder
    of `raw` gets what a walk would give it; a file elsewhere (`govdw inspect` takes any path), or
    a `region` given by the user, gets its region from `_region_elsewhere`."""
    raw = raw.resolve()
    path = file.absolute()
    rel: Path | None
    try:
        rel = path.relative_to(raw)
    except ValueError:
        try:
            rel = path.resolve().relative_to(raw)
            path = path.resolve()
        except ValueError:
            rel = None
    shown = "/".join(display_name(part) for part in rel.parts) if rel else display_name(path.name)
    entry = _entry(Found(path, shown, None))
    if region is None and rel is not None and len(rel.parts) > 1:
        return entry
    code, error = _region_elsewhere(file, region)
    return dataclasses.replace(entry, region_code=code, region_error=error)
