#!/usr/bin/env python3
"""Generate a large mixed text tree with planted secrets for benches/secrets.sh.

Files are real source/documentation text taken from a corpus directory (re-mixed into new paths), plus
generated configuration files (.env, Dockerfile, Kubernetes Secret, YAML, JSON, INI, shell, Python) that
each hold one planted secret. A manifest `planted.tsv` (path, line, category) lists every planted secret
so that recall can be measured for every tool on the same tree.
"""
import argparse
import base64
import os
import random
import string

TEXT_EXT = {".py", ".txt", ".rst", ".js", ".json", ".yaml", ".yml", ".html", ".css", ".md", ".cfg",
            ".toml", ".ini", ".po", ".xml", ".sh"}
AN = string.ascii_letters + string.digits
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rand(r, n, alphabet=AN):
    return "".join(r.choice(alphabet) for _ in range(n))


def password(r):
    # Realistic generated passwords: letters, digits, some punctuation that survives shells unquoted.
    return rand(r, 4, string.ascii_uppercase) + rand(r, 6, string.ascii_lowercase + string.digits) + \
        r.choice("!%^-_.") + rand(r, 3, string.digits + string.ascii_lowercase)


PEM = None


def pem(r):
    body = "\n".join(rand(r, 64, AN + "+/") for _ in range(12))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n"


def planted(r):
    """(file name, text, line of the secret (1-based), category)."""
    pw = password(r)
    tok = rand(r, 32)
    kind = r.randrange(17)
    if kind == 0:
        return ".env", f"APP_ENV=production\nDB_HOST=db\nDB_PASSWORD={pw}\nLOG_LEVEL=info\n", 3, "env-unquoted"
    if kind == 1:
        return ".env", f"APP_ENV=production\nexport API_TOKEN=\"{tok}\"\n", 2, "env-quoted"
    if kind == 2:
        return "Dockerfile", f"FROM python:3.12\nENV APP_HOME=/app\nENV DATABASE_PASSWORD={pw}\nRUN pip install app\n", 3, "dockerfile-env"
    if kind == 3:
        return "Dockerfile", f"FROM node:20\nENV SERVICE_API_KEY {tok}\nCMD [\"node\", \"app.js\"]\n", 2, "dockerfile-env-legacy"
    if kind == 4:
        b = base64.b64encode(pw.encode()).decode()
        return "secret.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {b}\n", 7, "k8s-data"
    if kind == 5:
        return "values.yaml", f"db:\n  host: db.internal\n  password: {pw}\n", 3, "yaml-unquoted"
    if kind == 6:
        return "config.json", f"{{\n  \"client_id\": \"svc\",\n  \"client_secret\": \"{tok}\"\n}}\n", 3, "json"
    if kind == 7:
        return "app.ini", f"[db]\nuser = app\npassword = {pw}\n", 3, "ini"
    if kind == 8:
        return "settings.py", f"import os\nDEBUG = False\nDB_PASSWORD = \"{pw}\"\n", 3, "python-quoted"
    if kind == 9:
        return "deploy.sh", f"#!/bin/sh\npsql \"postgresql://app:{pw}@db.internal:5432/app\" -c 'select 1'\n", 2, "url-password"
    if kind == 10:
        return "deploy.sh", f"#!/bin/sh\ncurl -u deploy:{pw} https://ci.internal/api\n", 2, "curl-user"
    if kind == 11:
        return "aws.env", f"AWS_ACCESS_KEY_ID=AKIA{rand(r, 16, B32)}\n", 1, "aws-key-id"
    if kind == 12:
        return "ci.yml", f"env:\n  GH_TOKEN: ghp_{rand(r, 36)}\n", 2, "github-pat"
    if kind == 13:
        return "slack.py", f"SLACK = 'xoxb-{rand(r, 12, string.digits)}-{rand(r, 13, string.digits)}-{rand(r, 24)}'\n", 1, "slack"
    if kind == 14:
        return "pay.js", f"const stripe = require('stripe')('sk_live_{rand(r, 24)}');\n", 1, "stripe"
    if kind == 15:
        return "id_rsa", pem(r), 1, "private-key"
    return "docker-compose.yml", f"services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {pw}\n", 4, "compose"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plant-every", type=int, default=40, help="one planted config dir per N corpus files")
    a = ap.parse_args()
    r = random.Random(a.seed)
    sources = []
    for dp, dn, fn in os.walk(a.corpus):
        dn.sort()
        for f in sorted(fn):
            if os.path.splitext(f)[1] in TEXT_EXT:
                p = os.path.join(dp, f)
                try:
                    with open(p, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                if b"\0" not in data[:8000] and 0 < len(data) < 1_000_000:
                    sources.append((os.path.splitext(f)[1], data))
    if not sources:
        raise SystemExit("no corpus text files under " + a.corpus)
    os.makedirs(a.out, exist_ok=True)
    target = int(a.size_mb * 1024 * 1024)
    total = 0
    n = 0
    manifest = []
    while total < target:
        ext, data = sources[n % len(sources)]
        pkg = f"pkg{n // 200:04d}"
        d = os.path.join(a.out, pkg)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"mod{n:06d}{ext}")
        with open(path, "wb") as fh:
            fh.write(data)
        total += len(data)
        if n % a.plant_every == 0:
            name, text, line, cat = planted(r)
            cd = os.path.join(d, f"svc{n:06d}")
            os.makedirs(cd, exist_ok=True)
            with open(os.path.join(cd, name), "w") as fh:
                fh.write(text)
            total += len(text)
            manifest.append((os.path.relpath(os.path.join(cd, name), a.out), line, cat))
        n += 1
    with open(os.path.join(a.out, "..", os.path.basename(a.out.rstrip("/")) + ".planted.tsv"), "w") as fh:
        for p, l, c in manifest:
            fh.write(f"{p}\t{l}\t{c}\n")
    print(f"{n} corpus files + {len(manifest)} planted, {total / 1048576:.0f} MB")


if __name__ == "__main__":
    main()
