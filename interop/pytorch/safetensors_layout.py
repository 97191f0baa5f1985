"""The safetensors file layout, written out by hand.

Debian has no python3-safetensors package, so the scripts here read and write the layout
themselves: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor
name to {"dtype", "shape", "data_offsets": [begin, end]} plus an optional "__metadata__" object
of strings, then the tensors' bytes, row-major and little-endian. The writer pads the header
with spaces to a multiple of 8, as the reference implementation does, so the data starts
aligned; tensors are stored in the order given, so equal inputs give equal bytes.
"""

import json
import struct

import numpy
import torch

_DTYPES = {torch.float32: "F32", torch.int64: "I64"}
# Little-endian whatever the machine's order, as the layout requires.
_NUMPY_DTYPES = {"F32": numpy.dtype("<f4"), "I64": numpy.dtype("<i8")}
_HEADER_ALIGNMENT = 8
# The reference implementation refuses larger headers; a bigger length means a damaged file.
_MAX_HEADER_BYTES = 100_000_000


def save(path, tensors, metadata=None):
    """Writes a dict of name -> torch.Tensor (float32 or int64), and metadata of str -> str."""
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: expected float32 or int64, found {t.dtype}")
        dtype = _DTYPES[t.dtype]
        data = t.detach().contiguous().numpy().astype(_NUMPY_DTYPES[dtype], copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % _HEADER_ALIGNMENT)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in chunks:
            f.write(data)


def load(path):
    """Reads a file into (dict of name -> torch.Tensor, dict of metadata), checking the layout."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: expected at least 8 bytes (the header length), found {len(raw)}")
    (n,) = struct.unpack_from("<Q", raw, 0)
    if n > min(_MAX_HEADER_BYTES, len(raw) - 8):
        raise ValueError(f"{path}: header length {n} does not fit a file of {len(raw)} bytes")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    covered = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = entry["data_offsets"]
        dtype = _NUMPY_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name}: expected dtype F32 or I64, found {entry['dtype']}")
        count = 1
        for d in entry["shape"]:
            count *= d
        if begin != covered or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: {name}: data_offsets {[begin, end]} do not follow the previous tensor "
                             f"at {covered} with {count} elements of {entry['dtype']}")
        covered = end
        values = numpy.frombuffer(data, dtype=dtype, count=count, offset=begin)
        tensors[name] = torch.from_numpy(values.astype(dtype.newbyteorder("="))).reshape(entry["shape"])
    if covered != len(data):
        raise ValueError(f"{path}: the tensors cover {covered} bytes of data, the file has {len(data)}")
    return tensors, metadata
