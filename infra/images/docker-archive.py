#!/usr/bin/env python3
"""Wraps a root file system tarball into a one-layer image in `docker save` format.

    docker-archive.py ROOTFS.tar OUT.tar NAME:TAG [--env K=V ...] [--user UID:GID]

Jib reads such a file as its base image (from.image = tar:///path/OUT.tar), so images are built
without a Docker engine and without pulling a base from a registry. The layer is the root file
system tarball unchanged; its sha256 is the layer's diff id. Only the standard library is used.
"""
import argparse
import hashlib
import io
import json
import os
import tarfile
import time


def add_bytes(archive, name, data, mtime):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    archive.addfile(info, io.BytesIO(data))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rootfs")
    parser.add_argument("out")
    parser.add_argument("tag")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--user", default="")
    args = parser.parse_args()

    digest = hashlib.sha256()
    with open(args.rootfs, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    diff_id = "sha256:" + digest.hexdigest()
    # Reproducible: the same root file system always makes the same image.
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", *args.env]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {"Env": env, **({"User": args.user} if args.user else {})},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "infra/images/build-base.sh (mmdebstrap)"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_name = digest.hexdigest() + "/layer.tar"
    manifest = [{"Config": config_name, "RepoTags": [args.tag], "Layers": [layer_name]}]

    tmp = args.out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as archive:
        add_bytes(archive, config_name, config_bytes, mtime)
        layer = archive.gettarinfo(args.rootfs, arcname=layer_name)
        layer.mtime, layer.mode, layer.uid, layer.gid, layer.uname, layer.gname = mtime, 0o644, 0, 0, "", ""
        with open(args.rootfs, "rb") as f:
            archive.addfile(layer, f)
        add_bytes(archive, "manifest.json", json.dumps(manifest).encode(), mtime)
    os.replace(tmp, args.out)
    print(f"{args.out}: {args.tag}, layer {diff_id}")


if __name__ == "__main__":
    main()
