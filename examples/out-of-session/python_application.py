"""
The Python guide's Step 7.3 application, unchanged, calling the TypeScript
remote agent (remote-agent.ts): the act JWT of the Python package
(dual-auth 1.0.1) is verified by the TypeScript OutOfSessionTokenRequest.

    pip install dual-auth==1.0.1 requests
    set -a; . ./.env; set +a                      # APP_PRIVATE_KEY_PATH, AGENT_ENDPOINT, ...
    REQUESTS_CA_BUNDLE=$NODE_EXTRA_CA_CERTS python examples/out-of-session/python_application.py

TLS is verified (requests' verify=True); REQUESTS_CA_BUNDLE names the private CA.
"""
import os
import sys

import requests
from dual_auth import HybridSender, UserSession

# After user authenticates (the guide's test user)
user_session = UserSession(
    user_email="alice@corp.example.com",
    user_name="Alice Smith",
    user_id="user_12345",
)

# Create sender with private key
sender = HybridSender(private_key_pem=os.environ["APP_PRIVATE_KEY_PATH"])

# Extract act
act = sender.extract_act_from_session(user_session)

# Create signed act JWT
agent_endpoint = os.environ["AGENT_ENDPOINT"]
act_jwt = sender.prepare_out_of_session_act(
    act=act,
    agent_endpoint=agent_endpoint,
    ttl_seconds=60,  # JWT valid for 60 seconds
)

# Send to agent over HTTPS
response = requests.post(
    agent_endpoint,
    json={"act_jwt": act_jwt},
    headers={"Content-Type": "application/json"},
    verify=True,  # TLS certificate verification
    timeout=30,
)

if response.status_code == 200:
    print(f"Agent task completed: {response.json()}")
else:
    print(f"Agent task failed: {response.status_code}")
    sys.exit(1)
