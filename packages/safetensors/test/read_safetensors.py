"""A minimal safetensors reader written from the format's public description:
u64 little-endian header size N, N bytes of UTF-8 JSON, then the byte buffer;
each entry has dtype, shape and data_offsets relative to the buffer.
Prints {name: {dtype, shape, values}} and the metadata as JSON."""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n].decode("utf-8"))
buf = raw[8 + n :]
out = {"__metadata__": header.pop("__metadata__", {})}
for name, e in header.items():
    b, end = e["data_offsets"]
    fmt = {"F32": "f", "F16": "e"}[e["dtype"]]
    size = struct.calcsize(fmt)
    values = list(struct.unpack("<%d%s" % ((end - b) // size, fmt), buf[b:end]))
    out[name] = {"dtype": e["dtype"], "shape": e["shape"], "values": values}
print(json.dumps(out))
