"""Calling `tolka serve` from Python with the standard library alone.

    cargo run --release -- serve --port 8080 &
    python3 python/examples/serve_client.py http://127.0.0.1:8080
"""

import json
import sys
import urllib.error
import urllib.request


def post(base, path, body):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        # Every error is JSON: {"error": ..., "code": ...}; 429 carries Retry-After.
        raise RuntimeError(f"{e.code}: {json.load(e)}") from None


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    analysis = post(base, "/v1/analyze", {"text": "can I pay with Klarna?"})["analysis"]
    print(analysis["intent"]["label"], round(analysis["intent"]["confidence"], 3))

    batch = post(
        base,
        "/v1/analyze",
        {"texts": ["where's my stuff", "my card was charged twice for order #A-10293"],
         "timezone": "Europe/Stockholm"},
    )
    for a in batch["analyses"]:
        print(a["intent"]["label"], [(e["label"], e["text"]) for e in a["entities"]])

    # A conversation the server remembers (for an hour after its last turn by default).
    for text in ["hi, where is order #A-10293?", "still nothing?? I want to talk to a person"]:
        turn = post(base, "/v1/conversations/demo-1/turns", {"text": text})["analysis"]
        print(turn["turn"], turn["intent"]["label"], turn["escalation"])


if __name__ == "__main__":
    main()
