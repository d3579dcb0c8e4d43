#!/usr/bin/env python3
"""Write a `docker save`-layout image tar (manifest.json, image config JSON,
one uncompressed layer tar) without a Docker daemon. RouterOS `/container`
imports this layout; it rejects multi-platform OCI indexes.

Deterministic: every entry has mtime SOURCE_DATE_EPOCH, uid/gid 0, no user
or group names, and entries are sorted, so the same inputs give the same
bytes. Python standard library only.

Called by container/build.sh; see `mkimage.py --help`.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import time

# Docker/OCI platform names for each build.sh architecture.
PLATFORMS = {
    "amd64": {"architecture": "amd64"},
    "arm64": {"architecture": "arm64", "variant": "v8"},
    "armv7": {"architecture": "arm", "variant": "v7"},
}

BIN = "usr/local/bin/lango"
CONFIG = "etc/lango/lango.toml"
CMD = ["/" + BIN, "--config", "/" + CONFIG]
HTTP_PORT_DEFAULT = 8080
HTTPS_PORT_DEFAULT = 8443


def entry(name, mtime, mode, kind=tarfile.REGTYPE, size=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.size = size
    return info


def tar_bytes(members, mtime):
    """members: {path: (mode, bytes or None for a directory)} → tar bytes,
    parents before children, sorted."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(members):
            mode, data = members[name]
            if data is None:
                tar.addfile(entry(name, mtime, mode, tarfile.DIRTYPE))
            else:
                tar.addfile(entry(name, mtime, mode, size=len(data)), io.BytesIO(data))
    return buf.getvalue()


def with_parents(files):
    """Add every parent directory (0755) of the given paths."""
    out = dict(files)
    for path in list(files):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.setdefault("/".join(parts[:i]), (0o755, None))
    return out


def http_port(config_text, key="listen", default=None):
    """The port of [http] listen (or https_listen) in the default config
    (for ExposedPorts)."""
    try:
        import tomllib

        listen = tomllib.loads(config_text).get("http", {}).get(key, "")
        return int(listen.rsplit(":", 1)[1])
    except Exception:  # noqa: BLE001 - the default is right for our config
        return default or HTTP_PORT_DEFAULT


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", required=True, choices=sorted(PLATFORMS))
    p.add_argument("--binary", required=True, help="static lango binary for --arch")
    p.add_argument("--config", required=True, help="default config, installed as /" + CONFIG)
    p.add_argument("--ca", required=True, help="CA bundle, installed as /etc/ssl/certs/ca-certificates.crt")
    p.add_argument("--tag", required=True, help="repository:tag recorded in manifest.json")
    p.add_argument("--version", required=True, help="lango version (image label)")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    read = lambda path: open(path, "rb").read()  # noqa: E731
    config_bytes = read(a.config)

    files = {
        BIN: (0o755, read(a.binary)),
        CONFIG: (0o644, config_bytes),
        "etc/ssl/certs/ca-certificates.crt": (0o644, read(a.ca)),
    }
    members = with_parents(files)
    members["data"] = (0o755, None)
    members["tmp"] = (0o1777, None)
    layer = tar_bytes(members, epoch)
    layer_sha = hashlib.sha256(layer).hexdigest()

    port = http_port(config_bytes.decode("utf-8"))
    tls_port = http_port(config_bytes.decode("utf-8"), "https_listen", HTTPS_PORT_DEFAULT)
    image_config = {
        **PLATFORMS[a.arch],
        "os": "linux",
        "created": created,
        "config": {
            "Entrypoint": CMD,
            "Cmd": ["serve"],
            "Env": [
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                "LANGO_DATA_DIR=/data",
            ],
            "ExposedPorts": {"1812/udp": {}, "1813/udp": {}, f"{port}/tcp": {}, f"{tls_port}/tcp": {}},
            "Volumes": {"/data": {}},
            "WorkingDir": "/data",
            "Healthcheck": {
                "Test": ["CMD"] + CMD + ["health"],
                "Interval": 30 * 10**9,
                "Timeout": 10 * 10**9,
                "StartPeriod": 15 * 10**9,
                "Retries": 3,
            },
            "Labels": {
                "org.opencontainers.image.title": "lango",
                "org.opencontainers.image.description": "RADIUS billing controller for MikroTik networks",
                "org.opencontainers.image.licenses": "AGPL-3.0-or-later",
                "org.opencontainers.image.version": a.version,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_sha]},
        "history": [{"created": created, "created_by": "container/build.sh " + a.arch}],
    }
    config_json = json.dumps(image_config, sort_keys=True, separators=(",", ":")).encode()
    config_sha = hashlib.sha256(config_json).hexdigest()

    # The layout `docker save` wrote before Docker 25 (and still writes
    # beside its OCI files): manifest.json, <config sha>.json,
    # <layer id>/{VERSION,json,layer.tar}, repositories.
    repo, _, tag = a.tag.rpartition(":")
    v1 = json.dumps(
        {"id": layer_sha, "created": created, "os": "linux", **PLATFORMS[a.arch]},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    manifest = [{"Config": config_sha + ".json", "RepoTags": [a.tag], "Layers": [layer_sha + "/layer.tar"]}]
    outer = {
        "manifest.json": (0o644, json.dumps(manifest, separators=(",", ":")).encode()),
        "repositories": (0o644, json.dumps({repo: {tag: layer_sha}}, separators=(",", ":")).encode()),
        config_sha + ".json": (0o644, config_json),
        layer_sha: (0o755, None),
        layer_sha + "/VERSION": (0o644, b"1.0"),
        layer_sha + "/json": (0o644, v1),
        layer_sha + "/layer.tar": (0o644, layer),
    }
    data = tar_bytes(outer, epoch)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, a.out)
    print(f"{a.out}: {len(data)} bytes, {a.tag} {a.arch}, layer sha256:{layer_sha}, config sha256:{config_sha}")


if __name__ == "__main__":
    sys.exit(main())
