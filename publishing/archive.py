"""A catalogue folder as one zip (what a release row carries), and back, safely.

Only catalogue files (``.yaml``, ``.yml``, ``.json``) under ``national/`` or ``provinces/``
are accepted; a name that would leave the folder, too many files or too many bytes once
unpacked are refused before anything is written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from helpdesk.errors import UploadRejected
from knowledge.catalogue import SUFFIXES, catalogue_files

TOP_FOLDERS = ("national", "provinces")
MAX_FILES = 5_000
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
_FIXED_TIME = (2025, 7, 1, 0, 0, 0)  # the same files always make the same bytes


def pack(root: Path) -> bytes:
    """Every catalogue file under ``root`` in a zip, by relative path, in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in catalogue_files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def member_path(name: str, *, top: bool = True) -> PurePosixPath:
    """The safe relative path of a zip member, or :class:`UploadRejected` saying why.

    ``top`` requires the path to start with ``national/`` or ``provinces/``.
    """
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in name:
        raise UploadRejected(f"{name}: a path outside the catalogue")
    if path.suffix not in SUFFIXES:
        raise UploadRejected(f"{name}: only .yaml, .yml and .json files belong in a catalogue")
    if top and path.parts[0] not in TOP_FOLDERS:
        raise UploadRejected(f"{name}: files go under national/ or provinces/")
    return path


def read_members(data: bytes, label: str) -> list[tuple[PurePosixPath, bytes]]:
    """The catalogue files of a zip (folders and other files are skipped), checked first."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadRejected(f"{label}: not a readable zip file") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        wanted = [info for info in infos if PurePosixPath(info.filename).suffix in SUFFIXES]
        if len(wanted) > MAX_FILES:
            raise UploadRejected(f"{label}: more than {MAX_FILES} files")
        if sum(info.file_size for info in wanted) > MAX_UNPACKED_BYTES:
            raise UploadRejected(f"{label}: more than {MAX_UNPACKED_BYTES // 2**20} MiB unpacked")
        members = []
        for info in wanted:
            path = member_path(info.filename)
            content = archive.read(info)
            if len(content) != info.file_size:  # a lying header
                raise UploadRejected(f"{label}: {info.filename} is damaged")
            members.append((path, content))
    return members


def unpack(data: bytes, dest: Path) -> None:
    """Write a release's files under ``dest`` (which must not exist yet)."""
    dest.mkdir(parents=True)
    for path, content in read_members(data, "release"):
        target = dest.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
