"""Drives the real Langfuse Python SDK against a running galley server.

Environment: LF_HOST, LF_READ_PK/LF_READ_SK (a read:* key), LF_WRITE_PK/LF_WRITE_SK (a write
key). Prints one line per check; exits non-zero on the first failure.
"""

import os
import subprocess
import sys

from langfuse import Langfuse
from langfuse.api import NotFoundError

HOST = os.environ["LF_HOST"]


def client(pk, sk):
    return Langfuse(public_key=pk, secret_key=sk, host=HOST, tracing_enabled=False)


def check(what, cond, detail=""):
    if not cond:
        print(f"FAIL {what}: {detail}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "bad-credentials":
        lf = client(os.environ["LF_READ_PK"], "sk-gal-wrong")
        try:
            print("AUTH", lf.auth_check(), flush=True)
        except Exception as e:  # SDK 5 raises its UnauthorizedError for a 401
            print("AUTH refused", type(e).__name__, flush=True)
        try:
            lf.get_prompt("support/triage", cache_ttl_seconds=0, max_retries=0)
            print("FETCHED", flush=True)
        except Exception as e:  # the SDK's 401 error
            print("REFUSED", type(e).__name__, flush=True)
        return

    read = client(os.environ["LF_READ_PK"], os.environ["LF_READ_SK"])
    check("auth_check", read.auth_check() is True)

    p = read.get_prompt("support/triage", cache_ttl_seconds=0)
    check("no label means production", p.version == 1, p.version)
    check("text prompt served with {{var}}", p.prompt == "Classify: {{ticket}}", p.prompt)
    check("compile", p.compile(ticket="refund please") == "Classify: refund please")
    check("labels", p.labels == ["production"], p.labels)
    check("config", p.config == {"model": "gpt-4o-mini", "temperature": 0}, p.config)

    s = read.get_prompt("support/triage", label="staging", cache_ttl_seconds=0)
    check("label staging", s.version == 2 and set(s.labels) == {"staging", "latest"}, s.labels)
    v = read.get_prompt("support/triage", version=1, cache_ttl_seconds=0)
    check("version 1", v.version == 1 and v.prompt == p.prompt)
    latest = read.get_prompt("support/triage", label="latest", cache_ttl_seconds=0)
    check("label latest", latest.version == 2)

    c = read.get_prompt("chat/helper", type="chat", cache_ttl_seconds=0)
    check("chat tags", c.tags == ["support"], c.tags)
    compiled = c.compile(
        company="Acme",
        question="Where is my order?",
        history=[{"role": "assistant", "content": "Hello!"}],
    )
    expected = [
        {"role": "system", "content": "You help customers of Acme."},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Where is my order?"},
    ]
    got = [{"role": m["role"], "content": m["content"]} for m in compiled]
    check("chat compile with a placeholder", got == expected, got)

    for what, kwargs in [
        ("unknown name", {"name": "no/such"}),
        ("unknown label", {"name": "support/triage", "label": "nowhere"}),
        ("unknown version", {"name": "support/triage", "version": 99}),
    ]:
        try:
            read.get_prompt(cache_ttl_seconds=0, max_retries=0, **kwargs)
            check(what, False, "fetched")
        except NotFoundError:
            check(what + " is 404", True)

    write = client(os.environ["LF_WRITE_PK"], os.environ["LF_WRITE_SK"])
    created = write.create_prompt(
        name="team-a/summarize",
        type="text",
        prompt="Summarize {{text}} in {{words}} words",
        labels=["staging"],
        tags=["team-a"],
        config={"model": "m", "temperature": 0.2},
        commit_message="first cut",
    )
    check("create", created.version == 1, created.version)
    got = read.get_prompt("team-a/summarize", label="staging", cache_ttl_seconds=0)
    check("created prompt served in a folder", got.compile(text="this", words="5") == "Summarize this in 5 words")
    check("commit message", got.commit_message == "first cut", got.commit_message)
    second = write.create_prompt(name="team-a/summarize", prompt="Sum up {{text}}", labels=[])
    check("second version", second.version == 2, second.version)
    write.update_prompt(name="team-a/summarize", version=2, new_labels=["production"])
    prod = read.get_prompt("team-a/summarize", cache_ttl_seconds=0)
    check("moved label serves the new version", prod.version == 2 and "production" in prod.labels)

    out = subprocess.run(
        [sys.executable, __file__, "bad-credentials"],
        capture_output=True, text=True, timeout=60,
    )
    refused = "AUTH False" in out.stdout or "AUTH refused UnauthorizedError" in out.stdout
    check("wrong credentials fail auth_check", refused, out.stdout + out.stderr)
    check("wrong credentials cannot fetch", "REFUSED" in out.stdout, out.stdout + out.stderr)
    print("all Langfuse SDK checks passed", flush=True)


if __name__ == "__main__":
    main()
