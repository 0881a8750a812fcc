"""oas.ease.utils: digests against an independent hashlib implementation of the
OAS etags (spec §3), and the file and range helpers."""

import hashlib
import io
import os
import random

import pytest

from oas.ease import utils
from oas.ease.exceptions import OASClientError

MIB = 1 << 20


def ref_etag(data):
    return hashlib.md5(data).hexdigest().upper()


def ref_tree(data):
    nodes = [hashlib.md5(data[i:i + MIB]).hexdigest().upper() for i in range(0, len(data), MIB)]
    return ref_combine(nodes)


def ref_combine(nodes):
    nodes = list(nodes)
    while len(nodes) > 1:
        nxt = [hashlib.md5((nodes[i] + nodes[i + 1]).encode()).hexdigest().upper()
               for i in range(0, len(nodes) - 1, 2)]
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    return nodes[0] if nodes else ""


SIZES = (0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 7, 5 * MIB)


@pytest.fixture(scope="module")
def blob():
    return random.Random(7).randbytes(5 * MIB + 12345)


def test_string_digests(blob):
    for size in SIZES:
        data = blob[:size]
        assert utils.compute_etag_from_string(data) == ref_etag(data)
        assert utils.compute_tree_etag_from_string(data) == ref_tree(data)
    assert utils.compute_etag_from_string("héllo") == ref_etag("héllo".encode())
    assert utils.compute_etag_from_string(bytearray(b"abc")) == ref_etag(b"abc")


def test_file_digests(tmp_path, blob):
    path = str(tmp_path / "f")
    with open(path, "wb") as f:
        f.write(blob)
    assert utils.compute_etag_from_file(path) == ref_etag(blob)
    assert utils.compute_tree_etag_from_file(path) == ref_tree(blob)
    assert utils.compute_hash_from_file(path) == (ref_etag(blob), ref_tree(blob))
    for offset, size in ((0, 1), (MIB - 5, MIB + 10), (3 * MIB, None), (2 * MIB, 0)):
        part = blob[offset:offset + size] if size else blob[offset:]
        assert utils.compute_hash_from_file(path, offset, size) == (ref_etag(part), ref_tree(part))
        assert utils.compute_etag_from_file(path, offset=offset, size=size, chunk_size=4096) == \
            ref_etag(part)
    with pytest.raises(ValueError):  # past the end
        utils.compute_etag_from_file(path, len(blob) + 1, 5)
    with pytest.raises(IOError) as e:
        utils.compute_etag_from_file(str(tmp_path / "missing"))
    assert isinstance(e.value, OASClientError) and "missing" in str(e.value)


def test_file_obj_digests(tmp_path, blob):
    path = str(tmp_path / "f")
    with open(path, "wb") as f:
        f.write(blob)
    with open(path, "rb") as f:  # a real descriptor: positional reads, position kept
        f.seek(17)
        assert utils.compute_hash_from_file_obj(f) == (ref_etag(blob), ref_tree(blob))
        assert utils.compute_tree_etag_from_file_obj(f, MIB, 2 * MIB) == \
            ref_tree(blob[MIB:3 * MIB])
        assert f.tell() == 17
    bio = io.BytesIO(blob)  # no descriptor: streamed through the library's hasher
    bio.seek(5)
    assert utils.compute_etag_from_file_obj(bio) == ref_etag(blob)
    assert utils.compute_hash_from_file_obj(bio, 3, MIB + 2, chunk_size=1000) == \
        (ref_etag(blob[3:MIB + 5]), ref_tree(blob[3:MIB + 5]))
    assert bio.tell() == 5
    with pytest.raises(ValueError):
        utils.compute_etag_from_file_obj(io.BytesIO(b"abc"), 1, 10)


def test_combine(blob):
    parts = [blob[i:i + 2 * MIB] for i in range(0, len(blob), 2 * MIB)]
    trees = [ref_tree(p) for p in parts]
    assert utils.compute_combine_tree_etag_from_list(trees) == ref_combine(trees)
    # power-of-two parts combine to the tree etag of the whole
    assert utils.compute_combine_tree_etag_from_list(trees) == ref_tree(blob)
    assert utils.compute_combine_tree_etag_from_list([t.lower() for t in trees]) == ref_tree(blob)
    assert utils.compute_combine_tree_etag_from_list([]) == ""
    with pytest.raises(ValueError) as e:
        utils.compute_combine_tree_etag_from_list(["nothex"])
    assert "0" in str(e.value)


def test_ranges():
    assert utils.range_size((0, 0)) == 1
    assert utils.range_size((MIB, 2 * MIB - 1)) == MIB
    assert utils.calc_num_part(MIB, 0) == 0
    assert utils.calc_num_part(MIB, 1) == 1
    assert utils.calc_num_part(MIB, 3 * MIB) == 3
    assert utils.calc_num_part(MIB, 3 * MIB + 1) == 4
    assert utils.calc_ranges(MIB, 2 * MIB + 5) == [(0, MIB - 1), (MIB, 2 * MIB - 1),
                                                  (2 * MIB, 2 * MIB + 4)]
    assert utils.calc_ranges(10, 0) == []
    with pytest.raises(ValueError):
        utils.calc_num_part(0, 5)


def test_file_helpers(tmp_path):
    path = str(tmp_path / "g")
    with open(path, "wb") as f:
        f.write(b"0123456789")
    assert utils.is_file_like(io.BytesIO())
    assert not utils.is_file_like("string")
    assert utils.content_length(b"abcd") == 4
    with open(path, "rb") as f:
        f.seek(3)
        assert utils.content_length(f) == 7
    assert utils.content_length(io.BytesIO(b"xyz")) == 3
    with pytest.raises(ValueError):
        utils.content_length(42)
    bio = io.BytesIO()
    assert utils.open_file(file_obj=bio) is bio
    with utils.open_file(file_path=path) as f:
        assert f.read() == b"0123456789"
    with pytest.raises(ValueError):
        utils.open_file()
    with pytest.raises(IOError):
        utils.open_file(str(tmp_path / "nope"))
