"""Run the 1EdTech reference validator (openbadges 1.1.2) offline against one badge.

Usage (inside var/obvenv): python tools/ob2/check.py INPUT [--recipient EMAIL]
INPUT is an assertion URL, a baked .png/.svg file, or a compact JWS. Prints the validator's report
(plus the graph of documents it read, as "graph") as JSON on stdout. The network is limited to
loopback; the OB v2 JSON-LD context is served from the copy beside this file, so a run never
reaches the internet.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

CONTEXT_FILE = Path(__file__).with_name("openbadges-v2-context.json")
LOCAL_DOCUMENTS = {
    "https://w3id.org/openbadges/v2",
    "http://w3id.org/openbadges/v2",
    "https://openbadgespec.org/v2/context.json",
}


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def install_guard() -> None:
    real_send = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        url = request.url.split("#")[0].rstrip("/")
        if url in LOCAL_DOCUMENTS:
            response = requests.Response()
            response.status_code = 200
            response._content = CONTEXT_FILE.read_bytes()
            response.headers["Content-Type"] = "application/ld+json"
            response.url = request.url
            response.request = request
            return response
        if not _loopback(urlsplit(request.url).hostname or ""):
            raise requests.ConnectionError(f"offline guard refused {request.url}")
        return real_send(self, request, *args, **kwargs)

    HTTPAdapter.send = send
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # a second wall under requests
        if not _loopback(str(host)):
            raise OSError(f"offline guard refused DNS lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--recipient")
    args = parser.parse_args()
    install_guard()
    from openbadges import verify

    profile = {"email": args.recipient} if args.recipient else None
    badge_input = args.input
    if badge_input.endswith((".png", ".svg")):
        # The validator's own image detection crashes on SVG; unbake with 1EdTech's bakery instead.
        from openbadges_bakery import unbake

        with open(badge_input, "rb") as fh:
            badge_input = unbake(fh)
        if isinstance(badge_input, bytes):  # the SVG bakery returns the verify attribute as bytes
            badge_input = badge_input.decode("utf-8")
        if not badge_input:
            print(json.dumps({"valid": False, "messages": [{"messageLevel": "ERROR", "name": "UNBAKE",
                                                            "result": "nothing baked in the image"}]}))
            return 1
    result = verify(badge_input, profile)
    out = dict(result["report"])
    out["graph"] = result.get("graph", [])  # the documents the validator read, to check what it saw
    json.dump(out, sys.stdout, default=str)
    return 0 if result["report"]["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
