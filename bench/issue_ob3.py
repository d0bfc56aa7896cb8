"""The Open Badges 3.0 half of ``make bench-issue``, run right after ``bench/issue_bulk.py`` on the same
database: for the cohort that run just issued (its latest bulk job), it checks that the worker gave
every award its OB 3.0 record (status index) and baked OB 3.0 image, and prints the CPU per award of
canonicalising a credential (the fast path and the general RDFC-1.0 through pyld, proven equal on
the sample) and of signing it.

Usage: ``.venv/bin/python bench/issue_ob3.py [--sample 300]``; ``DATABASE_URL`` as for issue_bulk.py.
CPU time, not wall time: on a shared machine the wall clock measures the neighbours too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_issue")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from assertions.models import Assertion, BulkJob
    from credentials import documents
    from credentials.fastrdfc import canonicalize_fast
    from credentials.models import IssuedCredential
    from credentials.proof import hash_data, proof_config, proof_options
    from credentials.rdfc import canonicalize
    from issuers.scoping import unscoped

    with unscoped("benchmark: the cohort the issuing benchmark just made"):
        job = BulkJob.objects.order_by("-pk").first()
        if job is None:
            raise SystemExit("no bulk job: run bench/issue_bulk.py first")
        awards = Assertion.objects.filter(bulk_job=job)
        count = awards.count()
        made = IssuedCredential.objects.filter(assertion__bulk_job=job)
        records, baked = made.count(), made.exclude(baked_image="").count()
        chosen = list(awards.select_related("badge_class__issuer", "credential").order_by("pk")[:args.sample])
        bodies = [documents.credential_document(a, status_index=a.credential.status_index) for a in chosen]
    configs = [proof_config(proof_options(verification_method=f"{b['issuer']['id']}#k", created=b["validFrom"]),
                            b["@context"]) for b in bodies]
    canonicalize_fast(bodies[0])  # the badge class's template, made once
    started = time.process_time()
    canonical = [(canonicalize_fast(c), canonicalize_fast(b)) for c, b in zip(configs, bodies, strict=True)]
    fast_s = (time.process_time() - started) / len(bodies)
    started = time.process_time()
    general = [(canonicalize(c), canonicalize(b)) for c, b in zip(configs[:20], bodies[:20], strict=True)]
    general_s = (time.process_time() - started) / len(general)
    if general != canonical[:20]:
        raise SystemExit("the fast path did not give the general algorithm's bytes")
    key = Ed25519PrivateKey.generate()
    started = time.process_time()
    for config, body in canonical:
        key.sign(hash_data(config, body))
    sign_s = (time.process_time() - started) / len(canonical)
    print(f"OB 3.0: {records}/{count} credentials with a status index, {baked}/{count} baked images; CPU per award: "
          f"canonicalisation {fast_s * 1e3:.2f} ms (general RDFC-1.0 through pyld {general_s * 1e3:.1f} ms), "
          f"signing {sign_s * 1e3:.3f} ms")
    if records < count or baked < count:
        raise SystemExit("not every award has its OB 3.0 credential, status index and baked image")


if __name__ == "__main__":
    main()
