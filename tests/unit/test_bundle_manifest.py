"""Manifest and trusted-key parsing: the checks that run before any byte of a bundle is written."""

from __future__ import annotations

import json

import pytest

from kiosk.bundles.keys import parse_trusted
from kiosk.bundles.manifest import FORMAT, parse, safe_path
from kiosk.errors import BundleError, ConfigError

GOOD = {"format": FORMAT, "version": 3, "created": "2026-11-25T10:00:00+00:00",
        "expires": "2027-01-01T00:00:00+00:00", "key_id": "k", "model": "", "pack": "pack", "config": "",
        "files": [{"path": "pack/index.md", "sha256": "a" * 64, "size": 10}]}


def manifest(**changes) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def test_a_good_manifest_parses():
    m = parse(manifest())
    assert m.version == 3 and m.total_bytes == 10 and m.pack == "pack"


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "pack/../../x", "pack//x", "bin/sh",
                                  "models/./x", "", "pack/x\x00", 7])
def test_unsafe_paths_are_refused(path):
    with pytest.raises(BundleError) as e:
        safe_path(path)
    assert e.value.code == "bundle_bad_path"


@pytest.mark.parametrize("changes,code", [
    ({"format": "other"}, "bundle_bad_manifest"),
    ({"version": 0}, "bundle_bad_manifest"),
    ({"version": True}, "bundle_bad_manifest"),
    ({"version": "4"}, "bundle_bad_manifest"),
    ({"files": []}, "bundle_bad_manifest"),
    ({"files": [{"path": "pack/a", "sha256": "xyz", "size": 1}]}, "bundle_bad_manifest"),
    ({"files": [{"path": "pack/a", "sha256": "a" * 64, "size": -1}]}, "bundle_bad_manifest"),
    ({"files": [{"path": "pack/a", "sha256": "a" * 64, "size": 1}] * 2}, "bundle_bad_manifest"),
    ({"model": "models/missing.gguf"}, "bundle_bad_manifest"),
    ({"expires": "soon"}, "bundle_bad_manifest"),
])
def test_malformed_manifests_are_refused(changes, code):
    with pytest.raises(BundleError) as e:
        parse(manifest(**changes))
    assert e.value.code == code


def test_binary_manifest_is_refused():
    with pytest.raises(BundleError):
        parse(b"\x00\xff" * 10)


def test_trusted_keys_parse_and_reject_garbage():
    key = "ed25519:" + "A" * 43 + "="
    assert len(parse_trusted(f"{key}, {key}")) == 1
    assert parse_trusted("") == {}
    for bad in ("rsa:AAAA", "ed25519:not-base64!", "ed25519:AAAA"):
        with pytest.raises(ConfigError):
            parse_trusted(bad)
