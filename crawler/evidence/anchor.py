"""Signed checkpoints of the evidence log's chain head (Ed25519), so lines deleted from the end of the log, or a log
rewritten with its chain recomputed, are found by `lantian evidence verify`.

A checkpoint is one JSON line of `checkpoints.jsonl` beside the log: `seq` and `hash` of the log's last line, `at`,
`key` (SHA-256 of the raw public key) and `signature` (Ed25519 over the canonical JSON of the other four fields).
Every crawl writes one when it ends; `lantian evidence anchor` writes one and prints the head for the case file.

The private key lives outside the data dir (`evidence.signing_key` in config/lantian.yaml, or LANTIAN_EVIDENCE_KEY;
created with mode 0600 on first use), so whoever can write the evidence but not read the key cannot forge a
checkpoint. A machine that only verifies may point the setting at the public key (`<key>.pub`).
"""
from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.config import ConfigError
from core.environment import environment, variable
from core.settings import config_dir, data_dir, main_settings, project_root
from crawler.evidence.log import EvidenceLog, EvidenceLogError, Problem, utc_now

CHECKPOINTS_NAME = "checkpoints.jsonl"
logger = logging.getLogger(__name__)


def signing_key_path(settings: Mapping[str, Any] | None = None) -> Path:
    """`evidence.signing_key` of config/lantian.yaml (LANTIAN_EVIDENCE_KEY overrides it), which must lie outside
    the data dir: a key kept with the evidence would let whoever alters the evidence sign it again."""
    configured = environment().evidence_key
    if configured:
        source, path = variable("evidence_key"), configured.expanduser()
    else:
        source = f"{config_dir() / 'lantian.yaml'}: field 'evidence.signing_key'"
        path = Path(main_settings(settings).evidence.signing_key).expanduser()
    path = path if path.is_absolute() else project_root() / path
    if path.resolve().is_relative_to(data_dir().resolve()):
        raise ConfigError(f"{source}: {path} is inside the data dir {data_dir()}; keep the key outside it")
    return path


def _fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _pem(data: bytes, path: Path) -> Ed25519PrivateKey | Ed25519PublicKey:
    try:
        key: Any = (serialization.load_pem_public_key(data) if b"PUBLIC KEY" in data
                    else serialization.load_pem_private_key(data, password=None))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not an unencrypted PEM key: {exc}") from None
    if not isinstance(key, (Ed25519PrivateKey, Ed25519PublicKey)):
        raise ConfigError(f"{path}: not an Ed25519 key")
    return key


def _create(path: Path) -> None:
    """A new private key at `path` (mode 0600, its folder 0700) and its public key at `<path>.pub`; a key another
    process created meanwhile is kept (the file appears whole, through a link)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return
    finally:
        os.unlink(temporary)
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    Path(f"{path}.pub").write_bytes(public)


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`, created on first use."""
    if not path.exists():
        try:
            _create(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the evidence signing key: {exc.strerror}") from None
    try:
        key = _pem(path.read_bytes(), path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the evidence signing key: {exc.strerror}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: a public key cannot sign checkpoints; give the private key")
    return key


def verify_key(path: Path) -> Ed25519PublicKey:
    """The public key of the key file at `path` (private or public); never creates one."""
    try:
        key = _pem(path.read_bytes(), path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the evidence signing key: {exc.strerror}") from None
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key: str
    signature: str

    def signed_bytes(self) -> bytes:
        body = {"seq": self.seq, "hash": self.hash, "at": self.at, "key": self.key}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Checkpoints:
    """The checkpoint file of one evidence directory."""

    def __init__(self, log: EvidenceLog) -> None:
        self.log = log
        self.path = log.root / CHECKPOINTS_NAME

    def sign_head(self, key: Ed25519PrivateKey) -> Checkpoint | None:
        """Sign the log's current head and append the checkpoint; None for an empty log."""
        head = self.log.head()
        if head is None:
            return None
        seq, digest = head
        unsigned = Checkpoint(seq, digest, utc_now(), _fingerprint(key.public_key()), "")
        signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode("ascii")
        checkpoint = Checkpoint(seq, digest, unsigned.at, unsigned.key, signature)
        line = json.dumps(checkpoint.__dict__, separators=(",", ":")).encode("utf-8") + b"\n"
        with open(self.path, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return checkpoint

    def read(self, public_key: Ed25519PublicKey) -> tuple[list[Checkpoint], list[Problem]]:
        """The checkpoints `public_key` signed, and a problem for every line that is not one."""
        valid: list[Checkpoint] = []
        problems: list[Problem] = []
        if not self.path.exists():
            return valid, problems
        fingerprint = _fingerprint(public_key)
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                checkpoint, reason = _parse(raw)
                if checkpoint is not None and checkpoint.key != fingerprint:
                    reason = f"signed by key {checkpoint.key[:16]}…, not by the configured key {fingerprint[:16]}…"
                elif checkpoint is not None:
                    try:
                        public_key.verify(base64.b64decode(checkpoint.signature, validate=True),
                                          checkpoint.signed_bytes())
                        valid.append(checkpoint)
                        continue
                    except (InvalidSignature, binascii.Error, ValueError):
                        reason = "the signature does not match: the checkpoint was altered or forged"
                problems.append(Problem("bad_checkpoint", number, reason or "not a checkpoint", CHECKPOINTS_NAME))
        return valid, problems


def _parse(raw: bytes) -> tuple[Checkpoint | None, str | None]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None, "not a JSON line"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return None, "field 'seq' is not a line number"
    fields = {name: data.get(name) for name in ("hash", "at", "key", "signature")}
    wrong = [name for name, value in fields.items() if not isinstance(value, str)]
    if wrong:
        return None, f"field {wrong[0]!r} is not text"
    return Checkpoint(seq, **fields), None  # type: ignore[arg-type]


def sign_checkpoint(log: EvidenceLog) -> Checkpoint | None:
    """Sign the log's head with the configured key (`signing_key_path`)."""
    return Checkpoints(log).sign_head(signing_key(signing_key_path()))


def sign_at_end(log: EvidenceLog) -> bool:
    """What every crawl and re-check does when it ends: sign the head. A key or log problem is logged, not raised
    (the run's evidence is kept, and `verify` names the lines no checkpoint covers); False when nothing was signed
    for that reason."""
    try:
        checkpoint = sign_checkpoint(log)
    except (ConfigError, EvidenceLogError, OSError) as exc:
        logger.error("No checkpoint of the evidence log %s was signed: %s", log.path, exc)
        return False
    if checkpoint is not None:
        logger.info("Evidence log head signed: seq %d, hash %s", checkpoint.seq, checkpoint.hash)
    return True
