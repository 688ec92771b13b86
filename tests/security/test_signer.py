"""The signing service: clerks seal through it without reading the key, and it never signs the
same place of a chain twice — the last invoice cannot be replaced even by someone who can
rewrite the whole base. One company key: a terminal with another key, or none, seals nothing."""
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from support import erase_last_invoice

from tui_factu import db as database, documents, journal, signer, verify
from tui_factu.errors import FactuError

from .conftest import CLERK_UID, CLERKS_GID, EXE, as_os_user, can_switch_users, cli

SIGNER_UID = 4300


@pytest.fixture
def service(shop, db, tmp_path):
    """The service in a thread, its socket in the base's folder, its key elsewhere (the key the
    company already pinned, moved there as the README says)."""
    state = database.state_dir()
    keys = tmp_path / "signer-keys"
    keys.mkdir(mode=0o700)
    journal.signing_key_id()
    for name in (signer.KEY, signer.PUB):
        shutil.move(str(state / name), keys / name)
    found = {}
    t = threading.Thread(target=signer.serve, args=(state / signer.SOCKET, keys),
                         kwargs={"ready": lambda server, svc: found.update(server=server)}, daemon=True)
    t.start()
    for _ in range(200):
        if "server" in found:
            break
        time.sleep(0.01)
    journal.forget_signers()
    yield keys
    found["server"].shutdown()
    journal.forget_signers()


def test_seals_go_through_the_service_and_verify(service):
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    assert journal._signer().where.endswith(signer.SOCKET)
    assert verify.run().ok and journal.read_anchor()["invoice"]["seq"] >= 1
    assert not (database.state_dir() / signer.KEY).exists() and inv.number


def test_the_service_refuses_to_sign_the_last_invoice_again(service, db):
    """The attack of the trust issue, with every guard dropped: the service says no."""
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    last = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "3"}]).id)
    erase_last_invoice(db, last)
    forged = documents.create("invoice", "P1", None, [{"product": "LIVRE", "quantity": "9"}])
    with pytest.raises(signer.SignerError, match="refus de signer deux fois la même place"):
        documents.validate(forged.id)
    assert documents.get(forged.id).number is None
    assert any("tronquée" in m for _, m, _ in verify.run().failures)


def test_a_rolled_back_seal_may_be_signed_again(service):
    """A refused validation consumed its signature but not its place: the next one takes it."""
    doc = documents.create("invoice", "C1", None, [{"product": "VIS"}])
    from tui_factu.db import write
    with pytest.raises(RuntimeError):
        with write():
            documents.validate(doc.id)
            raise RuntimeError("refusé après le scellement")
    assert documents.validate(doc.id).number


def test_one_company_key_a_terminal_with_another_or_none_seals_nothing(shop, db, tmp_path, monkeypatch):
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    other = tmp_path / "other-host"                    # another host's data folder: no key yet
    other.mkdir()
    monkeypatch.setenv("TUI_FACTU_KEYS", str(other))
    journal.forget_signers()
    with pytest.raises(FactuError, match="clé de signature de la société absente"):
        documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    assert not (other / signer.KEY).exists()           # it made no key of its own
    signer.create_key(other)                           # a key of its own, made by hand
    journal.forget_signers()
    with pytest.raises(FactuError, match="différente de celle de la société"):
        documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    for name in (signer.KEY, signer.PUB):              # the company's key copied: it seals
        shutil.copy2(Path(db + ".d") / name, other / name)
    journal.forget_signers()
    assert documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id).number
    monkeypatch.delenv("TUI_FACTU_KEYS")
    journal.forget_signers()
    assert verify.run().ok


def test_a_clerk_seals_through_the_service_and_cannot_read_the_key(shared, tmp_path):
    """The README's SSH layout with two OS accounts: the service's own (key 0600 in its folder),
    a clerk's in the group; the clerk validates, verifies, and reads no key."""
    if not can_switch_users():
        as_os_user(CLERK_UID, ["true"])                # skips (or fails in CI) with the reason
    state = Path(str(shared) + ".d")
    keys = shared.parent.parent / "signer"             # the service's own folder, beside the base's
    keys.mkdir(mode=0o700)
    for name in (signer.KEY, signer.PUB):
        shutil.move(str(state / name), keys / name)
    for p in [keys, *keys.iterdir()]:
        os.chown(p, SIGNER_UID, SIGNER_UID)
    os.chown(state, SIGNER_UID, CLERKS_GID)
    os.chmod(state, 0o2750)                            # setgid: the socket is the clerks' group's
    for p in state.iterdir():
        os.chown(p, SIGNER_UID, CLERKS_GID)
    env = {"PATH": os.environ["PATH"], "HOME": str(shared.parent.parent)}
    service = subprocess.Popen(["setpriv", f"--reuid={SIGNER_UID}", f"--regid={SIGNER_UID}", "--clear-groups",
                                EXE, "signer", "serve", "--socket", str(state / signer.SOCKET), "--keys", str(keys),
                                "--group", str(CLERKS_GID)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "à l'écoute" in service.stdout.readline()
        cli(shared, "user", "add", "quai", "--role", "warehouse", expect=0, env={"TUI_FACTU_NEW_PASSWORD": "x"})
        clerk_env = dict(env, TUI_FACTU_DB=str(shared), TUI_FACTU_PASSWORD="x")
        r = as_os_user(CLERK_UID, ["cat", str(keys / signer.KEY)], env=clerk_env)
        assert r.returncode != 0                       # the key is the service's alone
        r = as_os_user(CLERK_UID, [EXE, "--user", "quai", "doc", "new", "delivery", "C001", "MO-ELEC:1",
                                   "--validate"], env=clerk_env)
        assert r.returncode == 0, r.stderr
        r = as_os_user(CLERK_UID, [EXE, "--user", "quai", "verify"], env=clerk_env)
        assert r.returncode == 0, r.stdout + r.stderr
        r = as_os_user(CLERK_UID, ["sh", "-c", f"echo x > {state}/signing.key"], env=clerk_env)
        assert r.returncode != 0                       # nor can a clerk plant a key of its own
    finally:
        service.terminate()
        service.wait(timeout=10)


def test_the_service_signs_what_it_hashes_itself_and_manifests_only_for_administrators(tmp_path):
    """A clerk cannot have a record's signature made out of place (the service computes the hash
    from the place and the previous signature it checks), nor any manifest."""
    svc = signer.Service(tmp_path / "keys", admins=["4300"])
    first = svc.handle({"op": "sign", "chain": "invoice", "seq": 1, "prev": "", "payload": "{}"}, peer="4242")
    assert first["hash"] == signer.record_hash("invoice", 1, "", "{}").hex()
    svc.handle({"op": "commit", "chain": "invoice", "seq": 1, "hash": first["hash"]}, peer="4242")
    again = svc.handle({"op": "sign", "chain": "invoice", "seq": 1, "prev": "", "payload": '{"x":1}'}, peer="4242")
    assert "refus de signer deux fois la même place" in again["error"]
    lying = svc.handle({"op": "sign", "chain": "invoice", "seq": 2, "prev": "une autre", "payload": "{}"}, peer="4242")
    assert "error" in lying                              # the previous signature must be the one it gave
    assert "error" in svc.handle({"op": "sign_bytes", "data": "AAAA"}, peer="4242")
    refused = svc.handle({"op": "sign_manifest", "data": "AAAA"}, peer="4242")
    assert "administrateurs" in refused["error"]
    assert "signature" in svc.handle({"op": "sign_manifest", "data": "AAAA"}, peer="4300")
    fresh = svc.handle({"op": "sign", "chain": "order", "seq": 7, "prev": "", "payload": "{}"}, peer="4242")
    assert "error" in fresh                              # a chain it never saw starts at its first record


def test_a_record_signature_is_never_a_manifest_signature(shop):
    """The two kinds of signatures cannot stand for each other."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: F401
    import base64
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    s = journal._signer()
    digest = signer.record_hash("invoice", 1, "", "{}")
    record_sig, _ = s.sign_record("invoice", 1, "", "{}")
    pub = signer.parse_public(s.public_pem())[1]
    assert not signer.verify_manifest(pub, digest, record_sig.encode())
    manifest_sig = s.sign_manifest(digest)
    from cryptography.exceptions import InvalidSignature
    with pytest.raises(InvalidSignature):
        pub.verify(base64.urlsafe_b64decode(manifest_sig), digest)


def test_a_compacted_anchor_stays_the_group_s_to_append_to(tmp_path, monkeypatch):
    """Rewritten by one clerk, it came back 0600 and his: the others' next seals failed."""
    anchor = tmp_path / "anchor.log"
    anchor.write_text("")
    os.chmod(anchor, 0o660)
    monkeypatch.setattr(signer, "ANCHOR_COMPACT_BYTES", 100)
    for seq in range(1, 6):
        signer.append_anchor(anchor, "invoice", seq, "ab" * 32)
    assert anchor.read_text() == f"invoice 5 {'ab' * 32}\n"          # compacted to the last head
    assert anchor.stat().st_mode & 0o777 == 0o660


def test_a_key_folder_closed_to_the_account_is_said_in_french(tmp_path, monkeypatch):
    """A clerk's --user admin on a base whose key folder he may not cross: an internal error."""
    real = os.stat

    def closed(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(signer.os, "stat", closed)
    with pytest.raises(FactuError, match="dossier des clés fermé à ce compte"):
        signer.open_signer(tmp_path, create=False)
