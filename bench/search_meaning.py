"""Search by meaning (issue 14): recall@5 and MRR of words only, meaning only and the hybrid search.

    .venv/bin/python bench/search_meaning.py                    # the knobs as shipped
    .venv/bin/python bench/search_meaning.py --word-weight 0.4 --semantic-min 0.2   # try other knobs

Runs in a child process on a fresh SQLite database: the demo catalogue's resources among the 56 projects of
the search-quality corpus (tests/knowledge/meaning_eval.py), indexed with embeddings, then

* the evaluation set tests/knowledge/data/meaning_eval.json (queries whose words are neither in their
  documents nor in the synonym list), and
* the search-quality corpus's own queries (tests/knowledge/search_corpus.py), which must not get worse,

each in the three modes. Needs the embeddings model package (make install-test installs it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
import _scratch  # noqa: E402

KNOBS = {
    "word_weight": "WORD_WEIGHT",
    "meaning_weight": "MEANING_WEIGHT",
    "semantic_min": "SEMANTIC_MIN",
    "candidates": "SEMANTIC_CANDIDATES",
    "agreement_power": "AGREEMENT_POWER",
    "meaning_good": "MEANING_GOOD",
    "meaning_beside_words": "MEANING_BESIDE_WORDS",
    "meaning_margin": "MEANING_MARGIN",
    "common_share": "COMMON_SHARE",
}


def worker(args: argparse.Namespace) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    django.setup()
    from django.core.management import call_command

    from spiral.knowledge import embeddings, search
    from spiral.organisations.models import Role
    from tests.factories import MembershipFactory, UnitFactory, UserFactory
    from tests.knowledge import meaning_eval
    from tests.knowledge.search_corpus import QUERIES

    if not embeddings.available():
        print("the embeddings model package is not installed: nothing to compare (make install-test)")
        return 0
    for option, name in KNOBS.items():
        value = getattr(args, option)
        if value is not None:
            setattr(search, name, type(getattr(search, name))(value))
    print(
        "knobs: " + ", ".join(f"{name} = {getattr(search, name)}" for name in KNOBS.values()),
        flush=True,
    )
    call_command("migrate", verbosity=0)
    nation = UnitFactory(kind="nation", code="ENG", name="England", parent=None)
    region = UnitFactory(kind="region", code="Y56", name="London", parent=nation)
    icb = UnitFactory(kind="icb", code="QAA", name="NHS Riverside ICB", parent=region)
    org = UnitFactory(kind="organisation", code="RAA", name="Riverside Hospitals", parent=icb)
    directorate = UnitFactory(kind="directorate", code="RAA-MED", name="Medicine", parent=org)
    team = UnitFactory(kind="team", code="RAA-MED-01", name="Ward 1", parent=directorate)
    user = UserFactory()
    MembershipFactory(user=user, unit=team, role=Role.MEMBER)
    keys = meaning_eval.build_catalogue(team, nation)
    sets = {
        f"meaning set ({len(meaning_eval.load_set())} queries)": meaning_eval.load_set(),
        f"quality corpus ({len(QUERIES)} queries)": QUERIES,
    }
    for title, queries in sets.items():
        print(f"\n{title}\n| mode | recall@5 | MRR | queries fully found |\n|---|---|---|---|")
        for name in meaning_eval.MODES:
            f = meaning_eval.evaluate(user, keys, queries, name)
            print(f"| {name} | {f.recall:.3f} | {f.mrr:.3f} | {len(queries) - len(f.misses)} |")
            if args.verbose:
                for miss in f.misses:
                    print("    " + miss)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--word-weight", type=float)
    parser.add_argument("--meaning-weight", type=float)
    parser.add_argument("--semantic-min", type=float)
    parser.add_argument("--candidates", type=int)
    parser.add_argument("--agreement-power", type=float)
    parser.add_argument("--meaning-good", type=float, help="the cosine of a good match by meaning alone")
    parser.add_argument("--meaning-beside-words", type=float, help="the same beside good word matches")
    parser.add_argument("--meaning-margin", type=float, help="how much closer than the closest word match")
    parser.add_argument("--common-share", type=float, help="the share of documents a distinctive word is in")
    parser.add_argument("--verbose", action="store_true", help="list the queries not fully found")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    with tempfile.TemporaryDirectory(prefix="bench_search_meaning_") as tmp:
        env = _scratch.env_for("sqlite", Path(tmp), "bench_search_meaning")
        assert env is not None
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        return subprocess.call([sys.executable, __file__, "--worker", *sys.argv[1:]], env=env)


if __name__ == "__main__":
    sys.exit(main())
