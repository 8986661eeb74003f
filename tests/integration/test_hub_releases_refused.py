"""Whatever the hub offers, a kiosk installs only what its own trusted key signed, whole and newer than what it
has: unsigned-by-that-key, tampered and downgraded releases are refused before staging, the kiosk stays on its
version and the hub halts the release. Downloads resume with HTTP Range."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx

from kiosk.hub.local import start_hub
from kiosk.identity import device_key
from kiosk.signatures import sign_request

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "packs" / "harbourlight"


def run(*args, env=None, input_=None):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=300,
                          env=env, input=input_)


def engine(db):
    from kiosk.hub.migrate import engine_for

    return engine_for(db)


def test_untrusted_tampered_and_downgraded_releases_are_refused_before_staging(tmp_path):
    from sqlalchemy import update

    from kiosk.hub.tables import releases

    good = json.loads(run("keys", "generate", "--out", str(tmp_path / "good"), "--json").stdout)
    evil = json.loads(run("keys", "generate", "--out", str(tmp_path / "evil"), "--json").stdout)
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub, url = start_hub(db)
    data = tmp_path / "kiosk"
    env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": "", "KIOSK_LLM_ENABLED": "0",
           "KIOSK_KNOWLEDGE_EMBEDDINGS": "0", "KIOSK_BUNDLES_TRUSTED_KEYS": good["trusted_key"]}

    def hub_cli(*args):
        return run("hub", *args, "--db", db)

    def sync():
        p = run("sync", "--json", env=env)
        assert p.returncode in (0, 1), p.stderr
        return p

    def current():
        link = data / "bundles" / "current"
        return int(link.resolve().name[1:]) if link.is_symlink() else None

    def halted(rid):
        return {r["id"]: r for r in json.loads(hub_cli("release", "list", "--json").stdout)}[rid]

    try:
        assert hub_cli("pack", "import", str(SAMPLE), "--name", "hl").returncode == 0
        p = run("enrol", url, hub_cli("enrol-code", "--ring", "canary").stdout.strip(), "--json", env=env)
        device = json.loads(p.stdout)["device_id"]
        ok = json.loads(hub_cli("release", "publish", "hl", "--key", good["private_key"], "--json").stdout)
        # Resumable download: a signed Range request gets the rest of the bundle (206).
        key = device_key(data)
        whole = httpx.get(f"{url}/v1/releases/{ok['id']}/bundle",
                          headers=sign_request(key, device, "GET", f"{url}/v1/releases/{ok['id']}/bundle", b"")).content
        part = httpx.get(f"{url}/v1/releases/{ok['id']}/bundle", headers={
            "Range": "bytes=1000-", **sign_request(key, device, "GET", f"{url}/v1/releases/{ok['id']}/bundle", b"")})
        assert part.status_code == 206 and part.content == whole[1000:] and len(whole) == ok["size"]
        # A kiosk killed mid-download left half of it: the next sync resumes and installs.
        (data / "updates").mkdir(parents=True)
        (data / "updates" / f"release-{ok['id']}.part").write_bytes(whole[:len(whole) // 2])
        sync()
        assert current() == ok["bundle_version"], sync().stdout
        assert not list((data / "updates").glob("*.part"))

        # Signed by a key this kiosk does not trust (uploaded as if signed offline).
        pack = tmp_path / "pack"
        assert hub_cli("pack", "export", "hl", str(pack)).returncode == 0
        bundle = tmp_path / "evil.tar"
        assert run("bundle", "build", "--key", evil["private_key"], "--version", "2", "--out", str(bundle),
                   "--no-model", "--pack", str(pack), env=env).returncode == 0
        up = json.loads(hub_cli("release", "upload", str(bundle), "--json").stdout)
        sync()
        assert current() == ok["bundle_version"] and halted(up["id"])["state"] == "halted"
        assert "untrusted" in halted(up["id"])["halt_reason"] or "key" in halted(up["id"])["halt_reason"]

        # Tampered by a hostile hub: one byte of the pack changed, the ledger's sha256 made to match.
        t = json.loads(hub_cli("release", "publish", "hl", "--key", good["private_key"], "--json").stdout)
        eng = engine(db)
        with eng.begin() as c:
            blob = c.execute(releases.select().where(releases.c.id == t["id"])).first().blob
        src = tarfile.open(fileobj=io.BytesIO(blob))
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as dst:
            for m in src.getmembers():
                payload = src.extractfile(m).read()
                if m.name.endswith("visiting.md"):
                    payload = payload.replace(b"10", b"11", 1)
                dst.addfile(m, io.BytesIO(payload))
        bad = out.getvalue()
        with eng.begin() as c:
            c.execute(update(releases).where(releases.c.id == t["id"]).values(
                blob=bad, sha256=hashlib.sha256(bad).hexdigest(), size=len(bad)))
        sync()
        assert current() == ok["bundle_version"]
        assert "tampered" in halted(t["id"])["halt_reason"], halted(t["id"])

        # A downgrade: the hub offers the old, genuinely signed bundle again under a new, higher ledger number.
        from kiosk.hub import packs

        packs.add_entry(eng, "hl", "Lockers", "Lockers are by the entrance.", "test")  # pack version 2
        d = json.loads(hub_cli("release", "publish", "hl", "--key", good["private_key"], "--json").stdout)
        with eng.begin() as c:
            c.execute(update(releases).where(releases.c.id == d["id"]).values(
                blob=whole, sha256=hashlib.sha256(whole).hexdigest(), size=len(whole)))
        eng.dispose()
        sync()
        assert current() == ok["bundle_version"]
        assert "not newer" in halted(d["id"])["halt_reason"], halted(d["id"])
        assert not list((data / "bundles").glob("staging/*"))  # nothing of any refused release was staged
        # One action rolls the fleet back: the pack version before a release, re-signed as a newer version
        # (which anti-rollback accepts), goes to every ring that release reached.
        before = current()
        rb = json.loads(hub_cli("release", "rollback", str(d["id"]), "--key", good["private_key"], "--json").stdout)
        assert rb["pack_version"] == d["pack_version"] - 1 and rb["bundle_version"] > before
        sync()
        assert current() == rb["bundle_version"]
        # A kiosk cannot halt a release its ring was never offered (a hall kiosk, a canary-only release).
        hall = tmp_path / "hall"
        henv = {**env, "KIOSK_DATA_DIR": str(hall)}
        p = run("enrol", url, hub_cli("enrol-code", "--ring", "hall").stdout.strip(), "--json", env=henv)
        hall_id, hall_key = json.loads(p.stdout)["device_id"], device_key(hall)
        canary_only = json.loads(hub_cli("release", "publish", "hl", "--key", good["private_key"], "--rings",
                                         "canary", "--json").stdout)
        body = json.dumps({"release_id": canary_only["id"], "state": "failed", "detail": "sabotage"}).encode()
        r = httpx.post(f"{url}/v1/updates/report", content=body,
                       headers=sign_request(hall_key, hall_id, "POST", f"{url}/v1/updates/report", body))
        assert r.status_code == 403 and halted(canary_only["id"])["state"] == "rolling", r.text
        for bad_id in ("1e400", "99999999999999999999", "true"):
            body = ('{"release_id": %s, "state": "failed"}' % bad_id).encode()
            r = httpx.post(f"{url}/v1/updates/report", content=body,
                           headers=sign_request(hall_key, hall_id, "POST", f"{url}/v1/updates/report", body))
            assert r.status_code == 400, (bad_id, r.status_code)
        # A replayed request to the hub is refused too.
        h = sign_request(key, device, "GET", f"{url}/v1/updates", b"")
        assert httpx.get(f"{url}/v1/updates", headers=h).status_code == 200
        r = httpx.get(f"{url}/v1/updates", headers=h)
        assert r.status_code == 401 and r.json()["error"] == "replayed"
    finally:
        hub.terminate()
        hub.wait(timeout=10)
