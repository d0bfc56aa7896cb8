"""Pathways at years of data (issue 19): defining a pathway over awards already made, the nightly
reconcile of 20 pathways, and the pathway checks after a 10,000-learner cohort of a badge in a pathway,
on the databases ``bench/years.py --grow-only`` kept at 10 k, 100 k and 1 M awards.

Issue 19 measured, before the work on it: defining one pathway over existing awards took 32 s for 4,364
learners at 100,000 awards; a 10,000-learner cohort of a badge in a pathway took 171 s to email instead
of 18 s (the checks after each award); the nightly reconcile of 20 pathways would have taken about 3 hours.

At each size, in one transaction that is rolled back at the end (the kept copy stays as grown), in this
process (the work a worker's task does, timed around the service it calls):

1. ``--multi`` learners of the big college (4,000 by default, the same at every size, so the work is the
   same) are given two more badges, and 20 % of all its learners an account with a verified address
   (the address table the checks look learners up in grows with the data);
2. **define a pathway** (all three of those badges, a capstone) and run its retro-award job
   (``pathway_retro_award``): learners checked, capstones awarded, seconds;
3. **nightly reconcile**: 19 more pathways over other badges, then the reconcile's job for each of the
   20 (``pathway_retro_award`` with the reconcile's look-back, as ``pathways_reconcile`` queues it);
4. **a cohort of 10,000** new learners of a badge in the pathway, recorded through the issuing service,
   then the pathway checks the pipeline runs after them (``pathways_after_issue``, per chunk of 1,000).

Goal: each step's time grows at most 2x from the first size: the work is the same at every size, but the
reconcile's, which is the awards of its look-back (more a day in a bigger college) and the pathways, so its
time is compared per award of the look-back.
Usage: ``.venv/bin/python bench/pathways.py [--sizes 10000,100000,1000000] [--multi 4000]``; ``DATABASE_URL``
names the database the copies were made from (default ``bench_years``), as for ``bench/years.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import years  # noqa: E402 - the kept databases, their settings and their world

GOAL_GROWTH = 2.0
COHORT = 10_000
PATHWAYS = 20


class Rollback(Exception):
    """Raised at the end of a size's run: everything it added goes."""


def measure(multi: int) -> dict[str, tuple[float, str, int]]:
    from allauth.account.models import EmailAddress
    from django.db import transaction
    from django.db.models.functions import Mod
    from django.utils import timezone

    from accounts.models import User
    from assertions.models import Assertion
    from assertions.services import Recipient, assertion_issue
    from issuers.scoping import tenant_scope
    from pathways import services
    from pathways.models import Pathway
    from pathways.tasks import RECONCILE_LOOKBACK

    world = years.World.existing()
    badges = world.badges
    # step -> (seconds, what it did, how much it had to do: the same at every size but for the reconcile)
    results: dict[str, tuple[float, str, int]] = {}
    try:
        with transaction.atomic(), tenant_scope(world.tenant):
            # 1. Learners holding several badges, and accounts for a fifth of the college's learners.
            others = Assertion.objects.exclude(recipient_identity=world.learner.email)  # who holds 300 already
            holders = list(others.filter(badge_class=badges[0]).order_by("pk")
                           .values_list("recipient_identity", flat=True)[:multi])
            for badge in (badges[1], badges[2]):
                for start in range(0, len(holders), 5000):
                    assertion_issue(badge_class=badge, recipients=[Recipient(identity=e) for e in
                                                                   holders[start:start + 5000]], notify=False)
            learners = Assertion.objects.count()
            every_fifth = others.annotate(fifth=Mod("pk", 5)).filter(fifth=0)
            emails = sorted(set(every_fifth.values_list("recipient_identity", flat=True)[:learners // 5]))
            unusable = "!"  # no password: these accounts sign in by emailed code
            users = User.objects.bulk_create([User(email=e, password=unusable) for e in emails], batch_size=5000)
            EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True)
                                              for u in users], batch_size=5000)
            accounts = len(users)
            # The planner's statistics as autovacuum would keep them for tables grown like this (ANALYZE may
            # run in the transaction, and sees its rows): without, 200,000 new addresses look like none.
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE assertions_assertion, account_emailaddress, accounts_user")

            # 2. A pathway over badges already awarded: its retro-award job.
            tree = {"all": [{"badge": str(b.public_id)} for b in badges[0:3]]}
            pathway = services.pathway_create(tenant=world.tenant, name="Bench pathway", tree=tree,
                                              capstone=badges[-1], actor=world.tutor, retro_award=False)
            started = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                profile = cProfile.Profile(time.process_time)
                pathway = profile.runcall(services.pathway_retro_award, pathway=pathway)
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
            else:
                pathway = services.pathway_retro_award(pathway=pathway)
            results["define a pathway over existing awards"] = (
                time.perf_counter() - started,
                f"{pathway.retro_total:,} learners checked, {pathway.retro_awarded:,} capstones awarded", 1)

            # 3. The nightly reconcile of 20 pathways.
            for n in range(PATHWAYS - 1):
                pair = [badges[3 + n % 15], badges[4 + n % 15]]
                services.pathway_create(tenant=world.tenant, name=f"Bench pathway {n}", retro_award=False,
                                        tree={"all": [{"badge": str(b.public_id)} for b in pair]}, actor=world.tutor)
            since = timezone.now() - RECONCILE_LOOKBACK
            # What the reconcile has to do: the awards of the last two nights (about 550 a day at 1,000,000
            # awards over five years, 5 at 10,000), and the pathways.
            recent = Assertion.objects.filter(created_at__gte=since).count()
            started = time.perf_counter()
            checked = awarded = 0
            for each in Pathway.objects.select_related("capstone", "tenant"):
                done = services.pathway_retro_award(pathway=each, since=since)
                checked, awarded = checked + done.retro_total, awarded + done.retro_awarded
            results[f"nightly reconcile of {PATHWAYS} pathways"] = (
                time.perf_counter() - started, f"{recent:,} awards in the look-back, {checked:,} learners checked, "
                f"{awarded:,} capstones awarded", recent + PATHWAYS)

            # 4. A cohort of 10,000 of a badge in the pathway, then the checks after it.
            ids: list[int] = []
            for start in range(0, COHORT, 5000):
                ids += [a.pk for a in assertion_issue(badge_class=badges[0], notify=False, recipients=[
                    Recipient(identity=f"cohort{start + i}@learners.example") for i in range(5000)])]
            started = time.perf_counter()
            capstones = sum(services.pathways_after_issue(assertion_ids=ids[s:s + 1000])
                            for s in range(0, COHORT, 1000))
            results[f"pathway checks after a cohort of {COHORT:,}"] = (
                time.perf_counter() - started, f"{COHORT:,} awards checked, {capstones} capstones awarded", 1)
            results["(setup)"] = (0.0, f"{len(holders):,} learners with 3 badges, {accounts:,} accounts", 1)
            raise Rollback
    except Rollback:
        pass
    # What was added and rolled back left dead rows: gone, as autovacuum would, before the next measure.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assertions_assertion, account_emailaddress, accounts_user, "
                       "pathways_pathway, pathways_pathwaycompletion, issuers_outboxemail, issuers_auditentry")
    return results


def report(by_size: dict[int, dict[str, tuple[float, str, int]]]) -> None:
    sizes = sorted(by_size)
    print(f"\n{'step':<42}" + "".join(f"{f'{s:,} awards':>16}" for s in sizes)
          + f"{'growth':>9}   verdict   what it did at {sizes[-1]:,}")
    missed = 0
    for name in by_size[sizes[0]]:
        if name == "(setup)":
            continue
        cells = "".join(f"{by_size[s][name][0]:>14.2f} s" for s in sizes)
        last, first = by_size[sizes[-1]][name], by_size[sizes[0]][name]
        growth = (last[0] / last[2]) / max(first[0] / first[2], 0.01 / first[2])  # per thing to do
        verdict = "ok" if growth <= GOAL_GROWTH else f"MISSED grew {growth:.1f}x"
        missed += verdict != "ok"
        print(f"{name:<42}{cells}{f'{growth:.2f}x':>9}   {verdict:<9} {by_size[sizes[-1]][name][1]}")
    for size in sizes:
        print(f"at {size:,}: {by_size[size]['(setup)'][1]}")
    print(f"\ngoal: each step's time per thing it had to do at most {GOAL_GROWTH:.0f}x that at {sizes[0]:,} (the "
          f"same work at every size, but the reconcile's: the look-back's awards and the pathways); {missed} missed\n",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--multi", type=int, default=4000, help="learners given three badges of the pathway")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # one size, measured for the parent
    args = parser.parse_args()
    if args.json_out:
        env = years.environment(Path(tempfile.mkdtemp(prefix="bench-pathways-")))
        os.environ.update(env)
        import django

        django.setup()
        years.spread_if_needed()
        started = time.perf_counter()
        Path(args.json_out).write_text(json.dumps(measure(args.multi)))
        print(f"  measured in {time.perf_counter() - started:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True)
        return
    by_size: dict[int, dict[str, tuple[float, str, int]]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        if not years.copy_exists(size):
            raise SystemExit(f"no kept database at {size:,} awards: bench/years.py --grow-only --sizes {args.sizes}")
        database = years.copy_name(size)
        print(f"measuring {database} ({size:,} awards)", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            env = {**os.environ, "DATABASE_URL": years.DATABASE_URL.rsplit("/", 1)[0] + "/" + database}
            subprocess.run([sys.executable, __file__, "--multi", str(args.multi), "--json-out", out.name],
                           env=env, check=True)
            by_size[size] = {k: (v[0], v[1], v[2]) for k, v in json.loads(Path(out.name).read_text()).items()}
        report(by_size)


if __name__ == "__main__":
    main()
