#!/usr/bin/env python3
"""Writes an OCI image archive for the unpack benchmark: LAYERS gzip layers of about
LAYER_MB MB uncompressed each, shaped like a distribution plus an application: many small
text files, medium semi-compressible files, a few large incompressible ones, symlinks and
hard links, and a later layer that deletes and replaces part of an earlier one.

usage: make-image.py OUT.tar [LAYERS] [LAYER_MB]
"""
import gzip, hashlib, io, json, os, random, sys, tarfile, tempfile

out = sys.argv[1]
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 6
layer_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 85
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(4000)]

def text(n):
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) + (b"\n" if rng.random() < 0.1 else b" ")
    return bytes(out[:n])

def semi(n):
    return bytes(rng.choice(b"0123456789abcdef") for _ in range(n // 64)) * 64

def add(t, name, data=None, typ=tarfile.REGTYPE, mode=0o644, link=""):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.mtime, i.linkname = typ, mode, 1700000000, link
    if typ == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)

work = tempfile.mkdtemp(prefix="berth-bench-img-")
os.makedirs(work + "/blobs/sha256")

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{work}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return d, len(data)

descs, diffs = [], []
for n in range(layers):
    raw = io.BytesIO()
    t = tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT)
    budget = layer_mb << 20
    top = f"layer{n}"
    add(t, top + "/", typ=tarfile.DIRTYPE, mode=0o755)
    if n > 0:
        add(t, f"layer{n-1}/.wh.big", b"")
        add(t, f"layer{n-1}/share/", typ=tarfile.DIRTYPE, mode=0o755)
        add(t, f"layer{n-1}/share/.wh..wh..opq", b"")
    for d in range(40):
        add(t, f"{top}/lib{d}/", typ=tarfile.DIRTYPE, mode=0o755)
    add(t, f"{top}/share/", typ=tarfile.DIRTYPE, mode=0o755)
    used = 0
    big = rng.randbytes(budget // 5)
    add(t, f"{top}/big", big); used += len(big)
    for m in range(20):
        data = semi(rng.randint(1 << 20, 3 << 20)); add(t, f"{top}/share/m{m}.bin", data); used += len(data)
    i = 0
    while used < budget:
        data = text(rng.randint(256, 16 << 10))
        name = f"{top}/lib{i % 40}/f{i}.txt"
        add(t, name, data); used += len(data)
        if i % 50 == 0:
            add(t, name + ".lnk", typ=tarfile.SYMTYPE, mode=0o777, link=f"f{i}.txt")
        if i % 97 == 0:
            add(t, name + ".hard", typ=tarfile.LNKTYPE, link=name)
        i += 1
    t.close()
    plain = raw.getvalue()
    diffs.append("sha256:" + hashlib.sha256(plain).hexdigest())
    d, size = blob(gzip.compress(plain, compresslevel=6, mtime=0))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + d, "size": size})
    print(f"layer {n}: {len(plain) >> 20} MiB, {size >> 20} MiB gzip", file=sys.stderr)

arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
cd, cs = blob(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": cs},
                       "layers": descs}).encode()
md, ms = blob(manifest)
with open(work + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": "sha256:" + md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, f)
with open(work + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with tarfile.open(out, "w") as t:
    for name in ["oci-layout", "index.json", "blobs"]:
        t.add(f"{work}/{name}", arcname=name)
for root, dirs, files in os.walk(work, topdown=False):
    for x in files: os.unlink(os.path.join(root, x))
    for x in dirs: os.rmdir(os.path.join(root, x))
os.rmdir(work)
