"""
The Python side of `npm run bench:python`: the reference package (dual-auth
1.0.1) doing the same operations as bench/python/index.ts does with ours, on
the same machine, against the same local HTTPS token server (own process).

Reads a JSON job on stdin, prints a JSON object {operation: {ops_per_sec,
cpu_us_per_op, count}} on stdout. TLS trust through REQUESTS_CA_BUNDLE.
"""
import json
import logging
import os
import sys
import threading
import time

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from dual_auth import HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, get_config

logging.basicConfig(level=logging.CRITICAL + 1)


def measure(op, seconds, threads=1):
    """ops/s over `seconds`, and this process's CPU time per op (all threads)."""
    count = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(i):
        n = 0
        while time.perf_counter() < deadline:
            op()
            n += 1
        count[i] = n

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if threads == 1:
        worker(0)
    else:
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    total = sum(count)
    return {"ops_per_sec": total / elapsed, "cpu_us_per_op": cpu * 1e6 / max(total, 1), "count": total}


def main():
    job = json.load(sys.stdin)
    seconds = job["seconds"]
    act = job["act"]
    endpoint = job["agent_endpoint"]
    only = set(job.get("only") or [])
    results = {}

    def want(name):
        return not only or name in only

    sender = HybridSender(private_key_pem=job["private_key_path"])
    kc_config = {"token_url": job["token_url"], "client_id": job["agent_id"], "client_secret": job["client_secret"]}
    adapter = KeycloakAdapter(kc_config)

    def new_receiver():
        return OutOfSessionTokenRequest(adapter, job["public_key_path"])

    state = {"receiver": new_receiver()}

    # 1. act JWT sign + verify through the package (one receiver: replay memory grows, as in real use).
    def sign_verify():
        token = sender.prepare_out_of_session_act(act, endpoint, 60)
        state["receiver"].receive_and_verify_act_jwt(token, endpoint)

    if want("act_sign_verify"):
        measure(sign_verify, min(0.5, seconds))
        results["act_sign_verify"] = measure(sign_verify, seconds)

    # 2. signing alone, and the bare RSA-2048 PKCS#1 v1.5 signature underneath it.
    if want("act_sign"):
        results["act_sign"] = measure(lambda: sender.prepare_out_of_session_act(act, endpoint, 60), seconds)
    with open(job["private_key_path"], "rb") as f:
        private_key = serialization.load_pem_private_key(f.read(), password=None)
    signing_input = b"x" * 330
    if want("bare_rsa_sign"):
        results["bare_rsa_sign"] = measure(lambda: private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()), seconds)

    # 3. verification alone: a pool of distinct JWTs (replay protection refuses repeats), verified once each.
    pool = [sender.prepare_out_of_session_act(act, endpoint, 300) for _ in range(job.get("pool", 3000))]
    cursor = {"i": 0}

    def verify_one():
        i = cursor["i"]
        if i == len(pool):
            state["receiver"] = new_receiver()
            i = 0
        cursor["i"] = i + 1
        state["receiver"].receive_and_verify_act_jwt(pool[i], endpoint)

    if want("act_verify"):
        state["receiver"] = new_receiver()
        results["act_verify"] = measure(verify_one, seconds)
    with open(job["public_key_path"], "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    if want("bare_pyjwt_verify"):
        results["bare_pyjwt_verify"] = measure(lambda: jwt.decode(pool[0], public_key, algorithms=["RS256"], audience=endpoint), seconds)

    # 4. token requests against the local server: sequential, then 50 threads sharing the adapter.
    def token():
        adapter.request_token(job["agent_id"], act, job["scope"])

    if want("token_seq"):
        measure(token, min(0.5, seconds))
        results["token_seq"] = measure(token, seconds)
    if want("token_conc"):
        results["token_conc"] = measure(token, seconds, threads=job.get("concurrency", 50))

    # 5. configuration loading from the environment (keycloak, and entraid which also checks the key file).
    for vendor, env in job["config_envs"].items():
        name = f"config_{vendor}"
        if not want(name):
            continue
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            get_config()
            results[name] = measure(get_config, seconds)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
