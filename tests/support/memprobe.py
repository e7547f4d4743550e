#!/usr/bin/env python3
"""Which of a vault's secrets a process holds in memory (the privilege-separation test).

  memprobe.py dump PID OUT
      Copy every readable mapping of process PID into the file OUT (needs root or ptrace rights).
  memprobe.py secrets VAULT PASSFILE CA RECORD OUT
      Decrypt, independently of certctl, the vault key (scrypt or key-file unlock), the ACME
      account key of CA and the current private key of RECORD; write "name hex" lines to OUT.
      Private keys are written as their private scalar / exponent, big-endian.
  memprobe.py search DUMP SECRETS
      Print "name found" or "name absent" per secret: found when its bytes occur in DUMP
      big-endian or little-endian (OpenSSL keeps BIGNUMs as little-endian limbs).
"""
import base64
import hashlib
import re
import sys
import tomllib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def dump(pid, out):
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem, open(out, "wb") as o:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            try:
                mem.seek(start)
                o.write(mem.read(end - start))
            except OSError:
                pass


def open_sealed(vault_key, path, owner):
    data = open(path, "rb").read()
    assert data[:4] == b"CCK1", f"{path}: not a sealed key"
    body = data[4:]
    return AESGCM(vault_key).decrypt(body[:12], body[12:], f"certctl-key-v1:{owner}".encode())


def scalar(pem):
    key = serialization.load_pem_private_key(pem, None)
    n = key.private_numbers()
    value = getattr(n, "private_value", None) or n.d
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def vault_key(vault, passfile):
    unlock = tomllib.load(open(f"{vault}/config.toml", "rb"))["unlock"]
    salt = base64.b64decode(unlock["salt"])
    secret = open(passfile, "rb").read()
    if unlock["kdf"] == "scrypt":
        secret = secret.rstrip(b"\r\n")
        kek = hashlib.scrypt(secret, salt=salt, n=unlock["n"], r=unlock["r"], p=unlock["p"],
                             maxmem=2**31 - 1, dklen=32)
    else:
        kek = HKDF(hashes.SHA256(), 32, salt, b"certctl vault key-file v1").derive(secret)
    wrapped = base64.b64decode(unlock["wrapped_key"])
    return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"certctl-vault-key-v1")


def secrets(vault, passfile, ca, record, out):
    vk = vault_key(vault, passfile)
    account = open_sealed(vk, f"{vault}/ca/{ca}/account.key.enc", f"ca/{ca}/account")
    version = tomllib.load(open(f"{vault}/certs/{record}/record.toml", "rb"))["version"]
    cert_key = open_sealed(vk, f"{vault}/certs/{record}/v{version}/key.enc", record)
    with open(out, "w") as o:
        o.write(f"vault_key {vk.hex()}\n")
        o.write(f"account_key {scalar(account).hex()}\n")
        o.write(f"certificate_key {scalar(cert_key).hex()}\n")


def search(dump_file, secrets_file):
    memory = open(dump_file, "rb").read()
    for line in open(secrets_file):
        name, hexed = line.split()
        raw = bytes.fromhex(hexed)
        found = raw in memory or raw[::-1] in memory
        print(name, "found" if found else "absent")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"dump": dump, "secrets": secrets, "search": search}[cmd](*args)
