"""Position stores and run outputs at fsspec URLs (``file://``, ``memory://``, ``s3://``...).

A run reads its position store and writes its outputs by local path (tasks on every
worker open them by path: :mod:`vessel_risk.pipeline.tasks`). :func:`local_folder` lets
both live at any fsspec URL instead: a local path, or a ``file://`` URL, is used as it
is; any other URL is staged through a temporary local folder: its contents are copied
in when the block starts (a store to read, an output folder whose database and
incremental cache the next run reuses) and copied back when the block ends without an
error (a store written or appended to, a run's outputs). The URL's driver (``s3fs``,
``gcsfs``, ``adlfs``...) is the user's to install; without it, fsspec's error names the
package and the run stops before any work.

Cost: the staged folder takes local disk the size of what it holds, and a copy each way;
the partitions are then read from local disk, as with a local store.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["is_url", "local_folder", "url_is_empty"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def is_url(target: str | Path) -> bool:
    """Whether ``target`` is a URL (``scheme://...``) rather than a local path.

    Parameters
    ----------
    target : str or Path

    Returns
    -------
    bool
        True for ``file:///tmp/x``, ``memory://x``, ``s3://bucket/x``; False for local
        paths, Windows drive paths (``C:\\x``) and Path objects.
    """
    return isinstance(target, str) and bool(_SCHEME.match(target))


def _filesystem(url: str) -> tuple[Any, str]:
    """fsspec's file system and path for ``url``; ValueError when its driver is absent."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise ValueError(f"{url!r} cannot be opened: {exc}") from exc


def url_is_empty(url: str) -> bool:
    """Whether nothing is stored at ``url`` (absent, or an empty folder).

    Parameters
    ----------
    url : str
        An fsspec URL.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If the URL's scheme has no installed fsspec driver.
    """
    fs, path = _filesystem(url)
    return not fs.exists(path) or (fs.isdir(path) and not fs.ls(path))


def _download(fs: Any, path: str, local: Path) -> None:
    """Copy the folder ``path`` of ``fs`` into ``local`` (kept relative names)."""
    root = path.rstrip("/")
    for name in fs.find(root):
        relative = name[len(root) :].lstrip("/") if name.startswith(root) else Path(name).name
        target = local / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(name, str(target))


def _upload(local: Path, fs: Any, path: str) -> None:
    """Copy every file under ``local`` to the folder ``path`` of ``fs`` (replacing)."""
    root = path.rstrip("/")
    fs.makedirs(root, exist_ok=True)
    for file in sorted(p for p in local.rglob("*") if p.is_file()):
        relative = file.relative_to(local).as_posix()
        parent = f"{root}/{relative}".rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        fs.put_file(str(file), f"{root}/{relative}")


@contextmanager
def local_folder(
    target: str | Path, *, download: bool = True, upload: bool = False
) -> Iterator[Path]:
    """A local folder standing for ``target``, a local path or an fsspec URL.

    Parameters
    ----------
    target : str or Path
        A local path or ``file://`` URL (yielded as a Path, nothing copied), or any
        other fsspec URL.
    download : bool, default True
        Copy what is stored at the URL into the local folder first (nothing when the
        URL holds nothing yet).
    upload : bool, default False
        Copy the local folder's files to the URL when the block ends without an error
        (files at the URL that the folder does not hold are left as they are).

    Yields
    ------
    Path
        The folder to read and write; for a URL, ``staged`` inside a temporary folder
        removed when the block ends.

    Raises
    ------
    ValueError
        If the URL's scheme has no installed fsspec driver (fsspec names the package).
    """
    if not is_url(target):
        yield Path(target)
        return
    url = str(target)
    if url.startswith("file://"):
        yield Path(_filesystem(url)[1])
        return
    fs, path = _filesystem(url)
    with tempfile.TemporaryDirectory(prefix="vessel-risk-staged-") as tmp:
        local = Path(tmp) / "staged"
        if download and fs.exists(path):
            _download(fs, path, local)
        yield local
        if upload and local.is_dir():
            _upload(local, fs, path)
        shutil.rmtree(local, ignore_errors=True)
