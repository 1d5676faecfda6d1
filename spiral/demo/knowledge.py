"""Demo step: resources, communities of practice with discussions, field tests with their sites, spread
links between projects, and the search index (with embeddings when the model is installed).

Deterministic for the seed; bulk writes (audited in bulk). The demo sign-ins get something to see:
team@example.com and coach@example.com are members of communities, and the region's lead sponsors a
field test.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import defaultdict

from django.utils import timezone

from spiral.core import audit
from spiral.demo.builder import DemoContext, reset_sequences
from spiral.knowledge import search
from spiral.knowledge.models import (
    Adoption,
    Community,
    CommunityMember,
    CommunityRole,
    FieldTest,
    FieldTestSite,
    FieldTestStatus,
    Post,
    Resource,
    ResourceKind,
    ResourceVersion,
    Thread,
)
from spiral.measurement.models import Measure
from spiral.projects.models import AimAchieved, DriverNode, Project, ProjectMeasure, Stage, TeamMember, Topic

logger = logging.getLogger(__name__)

GUIDES: dict[str, list[tuple[str, str, str]]] = {
    # topic: [(kind, title, summary)]
    "falls": [
        (
            ResourceKind.CHANGE_PACKAGE,
            "Inpatient falls prevention change package",
            "Tested changes that reduce inpatient falls: risk assessment within six hours, lying and standing "
            "blood pressure, bay nursing, non-slip socks and call bells in reach.",
        ),
        (
            ResourceKind.MEASUREMENT_DEFINITION,
            "Falls per 1,000 occupied bed days",
            "How to count inpatient falls and bed days the same way everywhere, so charts can be compared.",
        ),
    ],
    "pressure ulcers": [
        (
            ResourceKind.GUIDE,
            "The SSKIN bundle: a guide for ward teams",
            "Surface, skin inspection, keep moving, incontinence and nutrition: preventing pressure ulcers "
            "(bed sores) step by step.",
        ),
    ],
    "sepsis": [
        (
            ResourceKind.TOOL,
            "Sepsis screening prompt and grab bag checklist",
            "A screening prompt for the e-record and a checklist for ward sepsis grab bags, so antibiotics are "
            "given within the hour.",
        ),
    ],
    "flow": [
        (
            ResourceKind.CASE_STUDY,
            "Discharge before midday: a case study",
            "How one medical ward moved discharges earlier with a daily board round and criteria-led "
            "discharge, and what it did to waits in the emergency department.",
        ),
    ],
    "medicines safety": [
        (
            ResourceKind.GUIDE,
            "Time-critical medicines: avoiding missed doses",
            "Which medicines must not be delayed, how to keep them on the ward, and how to measure missed doses.",
        ),
    ],
    "patient experience": [
        (ResourceKind.TOOL, "Quiet at night toolkit", "Eye masks, ear plugs, quiet hours and a noise audit."),
    ],
    "access": [
        (
            ResourceKind.CHANGE_PACKAGE,
            "Reducing did-not-attend rates",
            "Text reminders, easy rebooking and clinic times that suit patients: fewer missed appointments (DNAs).",
        ),
    ],
    "staff wellbeing": [
        (ResourceKind.GUIDE, "Wellbeing huddles", "A ten-minute team huddle to notice and act on pressure."),
    ],
}

BODY = """## Why this matters

{summary}

## What to try

1. Start small: one ward, one shift, one week (a PDSA cycle).
2. Measure weekly and plot it on an SPC chart.
3. Share what you learn with the community of practice.

| Step | Who | When |
| --- | --- | --- |
| Plan the test | Project lead | Week 1 |
| Run and record | Ward team | Weeks 2-4 |
| Study the chart | Team with a coach | Week 5 |
"""

THREADS = [
    (
        "How did you get night staff on board?",
        "We are starting bay nursing at night. How did others win over the night team?",
    ),
    ("Which measure do you use?", "Are you counting per 1,000 bed days or as a percentage of admissions?"),
    (
        "Sharing our driver diagram",
        "Here is what worked for us after three PDSA cycles; happy to talk it through.",
    ),
    (
        "Any tips for sustaining the gain?",
        "Our chart shifted but we worry it will slip back when the champions move on.",
    ),
]
REPLIES = [
    "We asked the night team to design the test themselves: it made all the difference.",
    "Per 1,000 bed days, so we can compare with the national indicator.",
    "Thank you, this is really helpful. Could we visit?",
    "We built it into the handover sheet so it no longer depends on one person.",
    "Our coach suggested a run chart first, then SPC once we had 20 points.",
    "Same problem here: we made it part of the induction for new starters.",
]


def build(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 11)
    now = timezone.now()
    today = timezone.localdate()
    nation = ctx.units["nation"][0]
    topics = {t.name: t for t in Topic.objects.all()}
    projects = list(Project.objects.select_related("unit").order_by("pk"))
    by_topic: dict[str, list[int]] = defaultdict(list)
    for project_id, name in Project.topics.through.objects.values_list("project_id", "topic__name"):
        by_topic[name].append(project_id)
    project_by_id = {p.pk: p for p in projects}

    # Resources, each with its version 1, topics and the best projects of its topic linked.
    resources: list[Resource] = []
    links: list[tuple[int, str, list[int]]] = []
    for topic, items in GUIDES.items():
        for kind, title, summary in items:
            resources.append(
                Resource(title=title, kind=kind, summary=summary, body=BODY.format(summary=summary), unit=nation,
                         version=1, created_at=now, updated_at=now)
            )  # fmt: skip
            linked = [
                pid for pid in by_topic.get(topic, [])
                if project_by_id[pid].aim_achieved == AimAchieved.YES
            ][:5]  # fmt: skip
            links.append((len(resources) - 1, topic, linked))
    Resource.objects.bulk_create(resources)
    ResourceVersion.objects.bulk_create(
        [
            ResourceVersion(resource=r, number=1, title=r.title, summary=r.summary, body=r.body)
            for r in resources
        ]
    )
    Resource.topics.through.objects.bulk_create(
        [
            Resource.topics.through(resource_id=resources[i].pk, topic_id=topics[t].pk)
            for i, t, _ in links
            if t in topics
        ]
    )
    Resource.projects.through.objects.bulk_create(
        [
            Resource.projects.through(resource_id=resources[i].pk, project_id=p)
            for i, _, ps in links
            for p in ps
        ]
    )

    # Communities: one per topic, hosted by the nation; members are the people on projects of the topic.
    team_of: dict[int, list[int]] = defaultdict(list)
    for project_id, user_id in TeamMember.objects.values_list("project_id", "user_id"):
        team_of[project_id].append(user_id)
    demo = ctx.extra.get("demo_users", {})
    communities, members, threads, posts = [], [], [], []
    community_projects, community_resources = [], []
    for n, (topic, ids) in enumerate(sorted(by_topic.items())):
        community = Community(
            name=f"{topic.capitalize()} community of practice", topic=topics.get(topic), unit=nation, created_at=now,
            description=f"Everyone working to improve {topic}: share what you tried, what happened and what you learned.",
        )  # fmt: skip
        communities.append((community, topic, ids, n))
    Community.objects.bulk_create([c for c, *_ in communities])
    for community, topic, ids, n in communities:
        people = sorted({u for pid in ids[:60] for u in team_of[pid]})
        chosen = rng.sample(people, min(len(people), 25))
        for account in ("team@example.com", "coach@example.com") if n < 3 else ():
            if account in demo and demo[account].pk not in chosen:
                chosen.append(demo[account].pk)
        for i, user_id in enumerate(chosen):
            role = CommunityRole.FACILITATOR if i == 0 else CommunityRole.MEMBER
            members.append(CommunityMember(community=community, user_id=user_id, role=role))
        community_projects += [
            Community.projects.through(community_id=community.pk, project_id=p) for p in ids[:20]
        ]
        community_resources += [
            Community.resources.through(community_id=community.pk, resource_id=resources[i].pk)
            for i, t, _ in links
            if t == topic
        ]
        for k, (title, body) in enumerate(THREADS[: 2 + n % 3]):
            if not chosen:
                break
            started = now - dt.timedelta(days=40 - 9 * k, hours=n)
            replies = [started + dt.timedelta(days=1 + j * 2) for j in range(1 + (n + k) % 4)]
            thread = Thread(community=community, title=title, author_id=chosen[k % len(chosen)], created_at=started,
                            last_post_at=replies[-1])  # fmt: skip
            threads.append(thread)
            posts.append((thread, chosen[k % len(chosen)], body, started))
            for j, at in enumerate(replies):
                posts.append(
                    (thread, chosen[(k + j + 1) % len(chosen)], REPLIES[(n + k + j) % len(REPLIES)], at)
                )
    CommunityMember.objects.bulk_create(members, batch_size=2000)
    Community.projects.through.objects.bulk_create(community_projects, batch_size=2000)
    Community.resources.through.objects.bulk_create(community_resources)
    Thread.objects.bulk_create(threads)
    Post.objects.bulk_create(
        [Post(thread=t, author_id=u, body=b, created_at=at) for t, u, b, at in posts], batch_size=2000
    )

    # Field tests: a region sponsors a test of one falls and one sepsis change idea; the sites are existing
    # projects of the topic in that region whose outcome series carry the common measure.
    region = ctx.anchors.get("region") or ctx.units["region"][0]
    tests, sites = [], []
    for topic, idea in (
        ("falls", "Bay nursing for high-risk patients"),
        ("sepsis", "Sepsis grab bags on every ward"),
    ):
        measure = Measure.objects.filter(code=f"PRJ-{topic.upper()}-O").first()
        if measure is None:
            continue
        test = FieldTest(
            title=f"{idea}: a regional field test", sponsor=region, change_idea=idea, measure=measure,
            description=f"Sites in {region.name} test '{idea}' for six months against {measure.name}.",
            starts_on=today - dt.timedelta(days=365), ends_on=today + dt.timedelta(days=90),
            status=FieldTestStatus.RUNNING,
        )  # fmt: skip
        candidates = list(
            ProjectMeasure.objects.filter(
                series__measure=measure, role="outcome", project__unit__path__startswith=region.path,
                project__stage__in=[Stage.TESTING, Stage.IMPLEMENTING, Stage.SUSTAINING],
            ).values_list("project_id", "project__unit_id").order_by("project_id")
        )  # fmt: skip
        seen_units: set[int] = set()
        chosen_sites: list[tuple[int, int]] = []
        for project_id, unit_id in candidates:
            if unit_id not in seen_units and len(chosen_sites) < 8:
                seen_units.add(unit_id)
                chosen_sites.append((project_id, unit_id))
        tests.append((test, chosen_sites))
    FieldTest.objects.bulk_create([t for t, _ in tests])
    for test, chosen_sites in tests:
        sites += [FieldTestSite(field_test=test, unit_id=u, project_id=p) for p, u in chosen_sites]
    FieldTestSite.objects.bulk_create(sites)

    # Spread: successful projects are adopted by later projects of the same topic in other units; some of
    # those are adopted again (a lineage two or three deep).
    adoptions: list[Adoption] = []
    adopted: set[int] = set()
    sources = [
        p
        for p in projects
        if p.aim_achieved == AimAchieved.YES or p.stage in (Stage.SUSTAINING, Stage.SPREADING)
    ]
    topic_of = {pid: t for t, ids in by_topic.items() for pid in ids}
    ideas = defaultdict(list)
    for pk, project_id in (
        DriverNode.objects.filter(kind="change_idea").values_list("pk", "project_id").order_by("pk")
    ):
        ideas[project_id].append(pk)
    for source in sources[: max(6, len(projects) // 40)]:
        frontier = [source]
        for _depth in range(2):
            nxt = []
            for parent in frontier:
                later = [
                    project_by_id[pid] for pid in by_topic.get(topic_of.get(parent.pk, ""), [])
                    if pid not in adopted and pid != source.pk and project_by_id[pid].unit_id != parent.unit_id
                    and (project_by_id[pid].start_date or today) > (parent.start_date or today)
                ]  # fmt: skip
                for child in rng.sample(later, min(len(later), 2)):
                    adopted.add(child.pk)
                    idea_id = ideas[parent.pk][0] if ideas[parent.pk] and rng.random() < 0.5 else None
                    adoptions.append(
                        Adoption(source_project=parent, source_idea_id=idea_id, project=child, unit_id=child.unit_id,
                                 adopted_on=child.start_date or today,
                                 adaptation=rng.choice(["", "Tested on one bay first", "Adapted for night shifts",
                                                        "Run by the healthcare assistants"]))
                    )  # fmt: skip
                    nxt.append(child)
            frontier = nxt
    Adoption.objects.bulk_create(adoptions, batch_size=2000)
    reset_sequences(
        [
            Resource,
            ResourceVersion,
            Community,
            CommunityMember,
            Thread,
            Post,
            FieldTest,
            FieldTestSite,
            Adoption,
        ]
    )
    audit.record_many(
        action="resource.create", objects=resources, by=None, scope_path_of=lambda r: nation.path
    )
    audit.record_many(
        action="community.create",
        objects=[c for c, *_ in communities],
        by=None,
        scope_path_of=lambda c: nation.path,
    )
    audit.record_many(
        action="field_test.create",
        objects=[t for t, _ in tests],
        by=None,
        scope_path_of=lambda t: region.path,
    )
    audit.record_many(action="spread.adopt", objects=adoptions, by=None, scope_path_of=lambda a: "")

    index_started = time.perf_counter()
    # Embeddings (semantic search) are computed when the demo is loaded for people (`spiral demo`);
    # tests build the demo without them, for speed.
    indexed = search.rebuild(embed=ctx.extra.get("embeddings", False))
    ctx.timings["knowledge.index"] = time.perf_counter() - index_started
    ctx.counts.update(
        resources=len(resources), communities=len(communities), threads=len(threads), field_tests=len(tests),
        field_test_sites=len(sites), adoptions=len(adoptions), search_documents=indexed,
    )  # fmt: skip
