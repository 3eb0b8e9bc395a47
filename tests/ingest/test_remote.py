"""Stores and outputs at fsspec URLs: local paths and file:// as they are, other URLs
staged through a local folder (copied in, copied back on success)."""

from __future__ import annotations

import uuid

import fsspec
import pytest

from vessel_risk.ingest.remote import is_url, local_folder, url_is_empty


@pytest.fixture
def memory_url():
    url = f"memory://vr-test-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("memory://x/y", True),
        ("s3://bucket/store", True),
        ("file:///tmp/x", True),
        ("/tmp/x", False),
        ("relative/x", False),
        ("C:\\data\\x", False),
    ],
)
def test_a_url_has_a_scheme(target, expected):
    assert is_url(target) is expected


def test_a_local_path_and_a_file_url_are_used_where_they_are(tmp_path):
    with local_folder(tmp_path / "a", upload=True) as folder:
        assert folder == tmp_path / "a"
    with local_folder(f"file://{tmp_path}/b", upload=True) as folder:
        assert folder == tmp_path / "b"


def test_a_memory_url_is_copied_back_whole_and_copied_in_on_the_next_use(memory_url):
    assert url_is_empty(memory_url)
    with local_folder(memory_url, download=True, upload=True) as folder:
        assert not folder.exists()  # nothing stored there yet
        (folder / "positions" / "part=00001").mkdir(parents=True)
        (folder / "positions" / "part=00001" / "f.parquet").write_bytes(b"\x00" * 3000)
        (folder / "store.json").write_text('{"partitions": 2}')
    assert not url_is_empty(memory_url)
    fs = fsspec.filesystem("memory")
    assert fs.cat(f"{memory_url}/store.json") == b'{"partitions": 2}'
    with local_folder(memory_url) as again:
        names = sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
        assert names == ["positions/part=00001/f.parquet", "store.json"]
        assert (again / "positions" / "part=00001" / "f.parquet").stat().st_size == 3000
    assert not again.exists()  # the staged copy is removed


def test_nothing_is_copied_back_when_the_block_fails(memory_url):
    with pytest.raises(RuntimeError), local_folder(memory_url, upload=True) as folder:
        folder.mkdir(parents=True)
        (folder / "half.parquet").write_bytes(b"x")
        raise RuntimeError("stopped half way")
    assert url_is_empty(memory_url)


def test_a_scheme_without_a_driver_is_a_clear_error():
    with pytest.raises(ValueError, match="nosuchscheme://x"), local_folder("nosuchscheme://x"):
        pass
