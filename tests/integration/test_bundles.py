"""Signed bundles end to end: real Ed25519 keys, real tar files, the real CLI, the real health check."""

from __future__ import annotations

import base64
import json
import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bundle_helpers import Publisher, copy_pack, kiosk, retar, status

pytestmark = pytest.mark.model


@pytest.fixture
def pub(isolated_env):
    return Publisher(isolated_env)


def bundles_dir() -> Path:
    return Path(os.environ["KIOSK_DATA_DIR"]) / "bundles"


def assert_refused(bundle: Path, code: str, before: dict) -> str:
    rc, out, err = kiosk("bundle", "install", str(bundle))
    assert rc == 7, (rc, out, err)
    assert f"[{code}]" in err, err
    after = status()
    assert (after["current"], after["highest_seen"]) == (before["current"], before["highest_seen"])
    staging = bundles_dir() / "staging"
    assert not staging.exists() or not any(staging.iterdir()), "something was staged"
    versions = sorted(p.name for p in (bundles_dir() / "versions").iterdir()) if (bundles_dir() / "versions").exists() else []
    assert versions == sorted(f"v{v}" for v in (before["current"], before["previous"]) if v)
    return err


@pytest.fixture
def installed_v1(pub):
    rc, out, err = kiosk("bundle", "install", str(pub.build(1)), "--json")
    assert rc == 0, err
    result = json.loads(out)
    assert result["version"] == 1 and "visiting#opening-hours" in result["health"]
    return status()


def test_install_then_the_kiosk_answers_from_the_bundled_pack(pub, isolated_env):
    pack = copy_pack(isolated_env / "pack")
    visiting = pack / "visiting.md"
    visiting.write_text(visiting.read_text().replace("from 10:00 to 17:30", "from 09:00 to 21:00"))
    rc, out, err = kiosk("bundle", "install", str(pub.build(3, pack=pack)))
    assert rc == 0, err
    assert "installed version 3" in out
    st = status()
    assert st["current"] == 3 and st["healthy"] and st["pack"] == "pack" and st["previous"] is None
    rc, out, err = kiosk("ask", "When are you open?", "--json")
    assert rc == 0 and "21:00" in json.loads(out)["answer"], out + err


def test_tampered_file_is_refused_before_staging(pub, installed_v1):
    good = pub.build(2)
    bad = retar(good, pub.tmp / "tampered.tar",
                {"files/pack/visiting.md": lambda b: b.replace(b"17:30", b"19:30")})
    err = assert_refused(bad, "bundle_tampered", installed_v1)
    assert "pack/visiting.md" in err


def test_flipped_signature_bit_is_refused(pub, installed_v1):
    def flip(sig: bytes) -> bytes:
        raw = bytearray(base64.b64decode(sig))
        raw[10] ^= 0x01
        return base64.b64encode(bytes(raw))

    bad = retar(pub.build(2), pub.tmp / "flipped.tar", {"manifest.sig": flip})
    assert_refused(bad, "bundle_bad_signature", installed_v1)


def test_edited_manifest_is_refused(pub, installed_v1):
    bad = retar(pub.build(2), pub.tmp / "edited.tar",
                {"manifest.json": lambda b: b.replace(b'"version":2', b'"version":9')})
    assert_refused(bad, "bundle_bad_signature", installed_v1)


def test_a_stranger_key_is_refused(pub, installed_v1):
    from kiosk.bundles.keys import generate

    stranger, _, _ = generate(pub.tmp / "stranger")
    assert_refused(pub.build(2, key=stranger, name="stranger.tar"), "bundle_bad_signature", installed_v1)


def test_older_or_equal_version_is_refused(pub, installed_v1):
    err = assert_refused(pub.build(1, name="again.tar"), "bundle_not_newer", installed_v1)
    assert "not newer than version 1" in err
    rc, _, err = kiosk("bundle", "install", str(pub.build(2)))
    assert rc == 0, err
    assert_refused(pub.build(1, name="old.tar"), "bundle_not_newer", status())


def test_expired_manifest_is_refused(pub, installed_v1):
    assert_refused(pub.build(2, expires_days=-1), "bundle_expired", installed_v1)


def test_oversized_file_is_refused(isolated_env):
    pub = Publisher(isolated_env, "max_file_mb = 1\n")
    pack = copy_pack(isolated_env / "pack")
    (pack / "floor-plan.md").write_text("## Floor plan\n" + "The galleries. " * 100_000)  # 1.5 MB
    before = status()
    err = assert_refused(pub.build(1, pack=pack), "bundle_file_too_big", before)
    assert "pack/floor-plan.md" in err and "1 MB per-file limit" in err


def test_no_trusted_keys_means_nothing_installs(pub, installed_v1):
    bundle = pub.build(2)
    pub.config.write_text("")
    rc, _, err = kiosk("bundle", "install", str(bundle))
    assert rc == 7 and "[bundle_no_trusted_keys]" in err


def test_failed_health_check_reverts_automatically(pub, installed_v1, isolated_env):
    broken = isolated_env / "broken.gguf"
    broken.write_bytes(b"GGUF" + os.urandom(4096))  # not a model llama.cpp can load
    rc, out, err = kiosk("bundle", "install", str(pub.build(2, model=broken)))
    assert rc == 7 and "[bundle_unhealthy]" in err and "reverted to version 1" in err, err
    st = status()
    assert st["current"] == 1 and st["healthy"] and st["highest_seen"] == 2
    assert [h["event"] for h in st["history"]][-2:] == ["switched", "reverted"]
    assert not (bundles_dir() / "versions" / "v2").exists()
    rc, out, _ = kiosk("ask", "When are you open?", "--json")
    assert rc == 0 and "17:30" in json.loads(out)["answer"]


def test_rollback_goes_back_and_blocks_reinstalling_the_newer_version(pub, installed_v1):
    v2 = pub.build(2)
    assert kiosk("bundle", "install", str(v2))[0] == 0
    assert status()["previous"] == 1
    rc, out, err = kiosk("bundle", "rollback", "--json")
    assert rc == 0, err
    assert json.loads(out)["version"] == 1
    st = status()
    assert st["current"] == 1 and st["previous"] is None and st["healthy"]
    rc, _, err = kiosk("bundle", "rollback")
    assert rc == 7 and "[bundle_no_previous]" in err
    assert_refused(v2, "bundle_not_newer", st)


def test_install_from_a_url(pub, isolated_env):
    bundle = pub.build(1)
    handler = partial(SimpleHTTPRequestHandler, directory=str(bundle.parent))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{bundle.name}"
        rc, out, err = kiosk("bundle", "install", url)
        assert rc == 0, err
        rc, _, err = kiosk("bundle", "install", url.replace(bundle.name, "missing.tar"))
        assert rc == 7 and "HTTP 404" in err
    finally:
        server.shutdown()
    assert status()["current"] == 1
    assert not any((bundles_dir() / "downloads").glob("*"))


def test_not_a_bundle_is_refused_clearly(pub, isolated_env):
    junk = isolated_env / "junk.tar"
    junk.write_bytes(os.urandom(2048))
    rc, _, err = kiosk("bundle", "install", str(junk))
    assert rc == 7 and "[bundle_bad_format]" in err
    rc, _, err = kiosk("bundle", "install", str(isolated_env / "nope.tar"))
    assert rc == 7 and "[bundle_not_found]" in err


def test_check_detects_a_damaged_install(pub, installed_v1):
    cur = (bundles_dir() / "current").resolve()
    (cur / "pack" / "visiting.md").write_text("damaged")
    rc, out, _ = kiosk("bundle", "check", "--json")
    assert rc == 7 and "bundle_damaged" in json.loads(out)["detail"]


def test_staff_reload_picks_up_a_newly_installed_bundle_pack(pub, installed_v1, isolated_env):
    from kiosk.app import Kiosk
    from kiosk.config import load_config

    running = Kiosk(load_config(None), load_model=False)  # the kiosk as it runs on v1
    try:
        assert "17:30" in running.ask("When are you open?").answer
        pack = copy_pack(isolated_env / "pack2")
        (pack / "visiting.md").write_text((pack / "visiting.md").read_text().replace("17:30", "18:45"))
        assert kiosk("bundle", "install", str(pub.build(2, pack=pack)))[0] == 0
        assert kiosk("bundle", "install", str(pub.build(3, pack=pack)))[0] == 0  # v1's files are gone now
        assert "entries" in running.reload_pack()
        assert "18:45" in running.ask("When are you open?").answer
    finally:
        running.close()
