"""
Drives the Python reference (dual-auth 1.0.1) for the interop suite and the
comparative benchmark. Reads a JSON list of operations on stdin and writes a
JSON list of results on stdout, one per operation, so a whole suite costs one
interpreter start. Every result is {"ok": value} or {"error": {...}} where the
error records the class name, str(error), args[0] and status_code, the parts
the TypeScript side is compared with.

The TLS trust for the recording server comes from REQUESTS_CA_BUNDLE (set by
the caller); certificate checks stay on.
"""
import json
import logging
import os
import sys
import time
import traceback

import jwt
from cryptography.hazmat.primitives import serialization

import dual_auth
from dual_auth import (
    Auth0Adapter,
    EntraIDAdapter,
    HybridSender,
    InSessionAPICall,
    InSessionTokenRequest,
    KeycloakAdapter,
    OktaAdapter,
    OutOfSessionAPICall,
    OutOfSessionTokenRequest,
    UserSession,
    get_config,
    get_secrets_backend_type,
    get_vendor,
)

# The reference logs through the stdlib; keep stdout for our JSON only.
logging.basicConfig(level=logging.CRITICAL + 1, stream=sys.stderr)

ADAPTERS = {
    "keycloak": KeycloakAdapter,
    "auth0": Auth0Adapter,
    "okta": OktaAdapter,
    "entraid": EntraIDAdapter,
}


def error_record(e):
    return {
        "type": e.__class__.__name__,
        "str": str(e),
        "message": e.args[0] if e.args else None,
        "status_code": getattr(e, "status_code", None),
        "backend": getattr(e, "backend", None),
    }


def token_record(t):
    return {
        "access_token": t.access_token,
        "token_type": t.token_type,
        "expires_in": t.expires_in,
        "scope": t.scope,
        "act_assertion": t.act_assertion,
        "repr": repr(t),
    }


def fast_retries(adapter):
    """Timing only: urllib3 sleeps 0 + 2 + 4 s before giving up on a 429/5xx.
    The number of attempts (4), the statuses retried and the final error class
    (RetryError) stay as the reference configured them."""
    for prefix in ("https://",):
        http_adapter = adapter.session.get_adapter(prefix + "x")
        http_adapter.max_retries.backoff_factor = 0


def make_adapter(op):
    adapter = ADAPTERS[op["vendor"]](op["config"])
    if op.get("fast_retry", True):
        fast_retries(adapter)
    return adapter


class Env:
    """Runs a block with os.environ replaced by exactly the given mapping."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.saved = dict(os.environ)
        keep = {k: v for k, v in self.saved.items() if k in ("PATH", "HOME", "REQUESTS_CA_BUNDLE")}
        os.environ.clear()
        os.environ.update(keep)
        os.environ.update(self.env or {})

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)
        return False


def op_config(op):
    with Env(op.get("env")):
        return get_config(vendor=op.get("vendor"), secrets_backend=op.get("secrets_backend"))


def op_vendor(op):
    with Env(op.get("env")):
        return {"vendor": get_vendor(), "secrets_backend": get_secrets_backend_type()}


def op_token(op):
    adapter = make_adapter(op)
    via = op.get("via", "adapter")
    if via == "insession":
        handler = InSessionTokenRequest(adapter)
        t = handler.request_token(op["agent_id"], op["act"], op["scope"])
    elif via == "outofsession":
        handler = OutOfSessionTokenRequest(adapter, op["app_public_key_path"])
        t = handler.request_token(op["agent_id"], op["act"], op["scope"])
    else:
        t = adapter.request_token(op["agent_id"], op["act"], op["scope"])
    return token_record(t)


def op_adapter_init(op):
    ADAPTERS[op["vendor"]](op["config"])
    return True


def op_sign_act(op):
    sender = HybridSender(private_key_pem=op.get("private_key_path"))
    return sender.prepare_out_of_session_act(op["act"], op["agent_endpoint"], op.get("ttl_seconds", 60))


def op_verify_act(op):
    """Verifies each JWT of op["act_jwts"] with ONE handler (replay memory is per instance)."""
    handler = OutOfSessionTokenRequest(KeycloakAdapter(op["adapter_config"]), op["app_public_key_path"])
    out = []
    for token in op["act_jwts"]:
        try:
            out.append({"ok": handler.receive_and_verify_act_jwt(token, op["expected_audience"])})
        except Exception as e:  # noqa: BLE001 - recorded for comparison
            out.append({"error": error_record(e)})
    return out


def op_verify_assertion(op):
    """What a Python resource server does with X-Act-Assertion (the reference ships no verifier)."""
    with open(op["public_key_path"], "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    return jwt.decode(op["assertion"], key, algorithms=["RS256"], audience=op["audience"])


def op_extract_act(op):
    sender = HybridSender()
    if "user_session" in op:
        return sender.extract_act_from_session(UserSession(**op["user_session"]))
    return sender.extract_act_from_session(op["session"])


def op_api_call(op):
    cls = OutOfSessionAPICall if op.get("cls") == "out" else InSessionAPICall
    client = cls(timeout=op.get("timeout", 10))
    t = op["token_response"]
    token = dual_auth.TokenResponse(
        access_token=t["access_token"],
        token_type=t.get("token_type", "Bearer"),
        expires_in=t.get("expires_in", 3600),
        scope=t.get("scope", ""),
        act_assertion=t.get("act_assertion"),
    )
    r = client.call_api(token, op["api_url"], method=op.get("method", "GET"), json_data=op.get("json_data"))
    return {"status": r.status_code, "body": r.text}


def op_decode(op):
    """Header and claims of a JWT, unverified (for comparing shapes)."""
    return {
        "header": jwt.get_unverified_header(op["jwt"]),
        "claims": jwt.decode(op["jwt"], options={"verify_signature": False}),
    }


OPS = {
    "config": op_config,
    "vendor": op_vendor,
    "token": op_token,
    "adapter_init": op_adapter_init,
    "sign_act": op_sign_act,
    "verify_act": op_verify_act,
    "verify_assertion": op_verify_assertion,
    "extract_act": op_extract_act,
    "api_call": op_api_call,
    "decode": op_decode,
}


def run(op):
    started = time.perf_counter()
    try:
        result = {"ok": OPS[op["op"]](op)}
    except Exception as e:  # noqa: BLE001 - every failure is data for the comparison
        result = {"error": error_record(e)}
        if op["op"] not in ("config", "token", "adapter_init", "sign_act", "extract_act", "api_call"):
            result["error"]["traceback"] = traceback.format_exc(limit=3)
    result["ms"] = (time.perf_counter() - started) * 1000
    return result


def main():
    ops = json.load(sys.stdin)
    json.dump([run(op) for op in ops], sys.stdout)


if __name__ == "__main__":
    main()
