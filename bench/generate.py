#!/usr/bin/env python3
"""Generate a deterministic benchmark site shaped like the real blog.

    python bench/generate.py --n 4000 --out bench/sites/n4000 [--seed 1]

Writes OUT/content/*.md (N articles of about 800 words, front matter with the real article's fields), a generated
OUT/data/roles.yaml (30 roles, valid against schemas/roles.schema.json), and copies data/site.yaml,
schemas/, templates/ and static/ from the repository so the benchmark measures the real theme.

Everything random comes from one random.Random(seed): the same arguments give the same bytes. Articles are streamed
to disk one at a time (only a small metadata tuple per article is kept), so 100,000 articles work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAMP = ".bench-site.json"  # written last: a site without it is incomplete and gets regenerated
GENERATOR_VERSION = 3  # bump when the generated content's shape changes on purpose
IMAGE_EVERY = 10  # one article in ten has a lead image (issue 16): a JPEG made here with Pillow
IMAGE_SIZE = (1600, 900)
IMAGES = "bench-images"  # OUT/bench-images/: the generated lead images, copied into static/images/ by sync_theme
THEME_SOURCES = ("templates", "static", "schemas", "data/site.yaml")

# --------------------------------------------------------------------------------------------------------------
# Pools

ROLE_TITLES = [
    "AI Engineer", "ML Engineer", "Data Scientist", "Data Engineer", "Data Analyst", "MLOps Engineer",
    "Research Scientist", "Applied Scientist", "NLP Engineer", "Computer Vision Engineer", "Analytics Engineer",
    "Platform Engineer", "Backend Engineer", "Frontend Engineer", "Full-Stack Engineer", "DevOps Engineer",
    "Site Reliability Engineer", "Security Engineer", "Cloud Architect", "Solutions Architect", "Product Manager",
    "Engineering Manager", "QA Engineer", "Mobile Engineer", "Embedded Engineer", "Robotics Engineer",
    "Prompt Engineer", "LLM Engineer", "BI Developer", "Database Administrator",
]

CATEGORIES = ["Hiring", "Salaries", "Careers", "Team Building", "Interviewing", "Remote Work", "Leadership"]

TAGS = [
    "AI", "Machine Learning", "Hiring", "Salaries", "Data", "Analytics", "Cloud", "DevOps", "Security", "Startups",
    "Enterprise", "Remote", "Interviews", "Onboarding", "Retention", "Compensation", "Benefits", "Recruiting",
    "Sourcing", "Diversity", "Leadership", "Management", "Career Paths", "Skills", "Python", "LLMs", "NLP",
    "Computer Vision", "MLOps", "Infrastructure", "Product", "Frontend", "Backend", "Mobile", "Testing", "Robotics",
    "Contracting", "Equity", "Job Market", "Team Structure",
]

TOPICS = [
    ("which-role-fits-your-team", "Which Role Is Right for Your Team?"),
    ("salary-comparison", "How Do Salaries Compare?"),
    ("hiring-guide", "A Hiring Guide for Engineering Leaders"),
    ("interview-questions", "What Should You Ask in Interviews?"),
    ("first-hire", "Which Should Be Your First Hire?"),
    ("skills-compared", "Which Skills Matter Most?"),
    ("startup-hiring", "Who Should a Startup Hire?"),
    ("remote-hiring", "Hiring Remotely in a Tight Market"),
    ("career-paths", "How Do the Career Paths Differ?"),
    ("team-structure", "How Should the Two Roles Work Together?"),
]

RESPONSIBILITIES = [
    ("Designing systems", "Lays out the architecture so that each component can grow without a rewrite."),
    ("Shipping features", "Takes work from a rough idea to production and owns the result once it is live."),
    ("Working across teams", "Partners with product, design and operations so that each project serves a clear goal."),
    ("Testing and optimisation", "Measures what has been built and tunes it for speed, accuracy and reliability."),
    ("Preparing data", "Cleans and transforms raw inputs until they are fit for analysis or training."),
    ("Monitoring production", "Watches how systems behave over time and reacts before users notice a problem."),
    ("Mentoring", "Reviews code, pairs with newer colleagues and raises the bar for the whole team."),
    ("Writing documentation", "Keeps design notes and runbooks current so others can pick the work up."),
    ("Planning roadmaps", "Breaks large goals into milestones that a small team can deliver in weeks."),
    ("Managing risk", "Spots security, privacy and compliance risks early and designs around them."),
    ("Automating workflows", "Replaces repetitive manual steps with tooling that runs on every change."),
    ("Running experiments", "Designs controlled experiments and reads the results without wishful thinking."),
    ("Evaluating vendors", "Compares build-versus-buy options and recommends the cheaper path over three years."),
    ("Improving reliability", "Reduces incidents by fixing root causes rather than symptoms."),
    ("Owning cost", "Keeps cloud and tooling spend in line with the value each system delivers."),
    ("Talking to users", "Turns interviews and support tickets into concrete changes to the product."),
]

SKILLS = [
    ("Strong programming", "Writes production-quality code in Python, Go, Java or TypeScript."),
    ("Statistical grounding", "Is comfortable with probability, statistics and experimental design."),
    ("Cloud fluency", "Has deployed and operated services on AWS, Google Cloud or Azure."),
    ("Clear communication", "Explains trade-offs to non-specialists in plain language."),
    ("System design", "Designs services that stay simple as traffic and data grow tenfold."),
    ("Data wrangling", "Handles analysis and manipulation fluently with SQL, Pandas and NumPy."),
    ("Framework experience", "Has hands-on time with frameworks such as PyTorch, TensorFlow or React."),
    ("Debugging", "Finds the cause of a failure quickly, even across several systems."),
    ("Security awareness", "Knows the common attack patterns and how to design them out."),
    ("Ownership", "Follows work through to the outcome instead of stopping at the pull request."),
    ("Product sense", "Knows which problem is worth solving and which can wait."),
    ("Creative problem solving", "Breaks down hard, open-ended problems and arrives at original solutions."),
]

FRAMEWORKS = ["TensorFlow", "PyTorch", "Keras", "Scikit-learn", "JAX", "React", "Django", "FastAPI", "Spark",
              "Airflow", "dbt", "Kubernetes", "Terraform", "LangChain", "Flutter", "ROS"]
TOOLS = ["Python", "Java", "C++", "Go", "Rust", "TypeScript", "SQL", "Pandas", "NumPy", "Docker", "Git", "Grafana",
         "Snowflake", "BigQuery", "Tableau", "Jupyter"]

GENERIC = [
    "Hiring managers tend to underestimate how long it takes to fill a senior technical position.",
    "A clear job description saves more time than any sourcing tool on the market.",
    "Candidates compare offers on growth and autonomy as much as on base salary.",
    "The best teams write down what success looks like after ninety days before they open a requisition.",
    "Referrals still produce the strongest shortlists, but they rarely produce diverse ones on their own.",
    "A structured interview with the same questions for every candidate makes comparisons far fairer.",
    "Take-home exercises work when they are short, paid or both, and when someone actually reads the result.",
    "Most offers are lost in the week between the final interview and the written offer.",
    "Startups often need a generalist first and a specialist once the product has found its market.",
    "Large companies can afford narrow roles because someone else already covers the adjacent work.",
    "Remote hiring widens the pool, yet it also raises the bar for written communication.",
    "Compensation bands published in the job advert shorten the process for everyone involved.",
    "Onboarding decides whether a strong hire becomes productive in one month or in six.",
    "Teams that pair new hires with a buddy report faster ramp-up and fewer early departures.",
    "Titles vary so much between companies that the responsibilities matter more than the name.",
    "A portfolio of shipped work says more about a candidate than a list of certifications.",
    "The market moves quickly, so figures from last year are a starting point rather than an answer.",
    "Budget conversations go better when the hiring manager can show what the role will deliver.",
    "Good candidates ask about the data, the tooling and the decision process, so be ready to answer.",
    "It pays to decide in advance which skills can be taught on the job and which cannot.",
    "Counter-offers are common in a tight market, so keep the process short and the communication warm.",
    "Contract-to-hire arrangements reduce risk, but the strongest candidates often decline them.",
    "Diverse interview panels reduce bias and give candidates a truer picture of the team.",
    "Retention starts during the interview, when expectations about the work are set.",
    "Engineering leaders should budget time for interviews the same way they budget time for delivery.",
    "A well-run debrief focuses on evidence from the interviews rather than on overall impressions.",
    "Internal mobility is an underused source of talent for specialised roles.",
    "Equity can bridge a salary gap, but only when candidates understand what it is worth.",
    "Clear career ladders help both recruiting and retention because people can see where they are going.",
    "The cost of a bad hire is far higher than the cost of a few extra weeks of searching.",
    "Sourcing from open-source communities surfaces people whose work you can read before you call them.",
    "Job postings that list twenty requirements discourage exactly the candidates you want most.",
    "Keeping candidates informed at every stage is the cheapest way to improve acceptance rates.",
    "Salary expectations differ by region, so decide early whether the band is global or local.",
    "Hiring for potential works well when a senior colleague has time to coach.",
    "Specialists are easier to evaluate, while generalists are easier to redeploy when priorities change.",
]

ROLE_SENTENCES = [
    "{Na} usually owns the problem end to end, while {nb} tends to focus on one part of it.",
    "In smaller companies the line between {na} and {nb} is often blurred.",
    "When the work is mostly about {focus}, {na} is usually the stronger candidate.",
    "Teams that already have {nb} often add {na} once the first results reach production.",
    "Interviewers should ask {na} to walk through a project they shipped and what they would change today.",
    "A good {b} can explain the limits of their own work as clearly as its strengths.",
    "Demand for the {a} role has grown steadily, and the number of open positions reflects that.",
    "Pay for {nb} depends heavily on seniority, location and the size of the company.",
    "Many people move from {nb} position into {na} role after a few years.",
    "{Na} and {nb} working together can cover the whole path from idea to production.",
]

FOCUS = ["system design", "data quality", "model training", "reliability", "user-facing features", "analytics",
         "security", "automation", "infrastructure", "experimentation"]

QUESTIONS_EXTRA = [
    "How long does it take to hire {na}?",
    "Should you hire {na} or train someone internally?",
    "What does {na} need in their first ninety days?",
    "How do you keep {nb} once you have hired one?",
    "Is {na} worth the premium for an early-stage startup?",
    "Which interview exercises work for {nb}?",
]

STAGES = [
    ("Screening call", "Motivation, communication, salary expectations", "30 min"),
    ("Technical interview", "Depth in the core skills of the role", "60 min"),
    ("System design", "Trade-offs, scale, failure modes", "60 min"),
    ("Take-home exercise", "Realistic task, reviewed with the candidate", "2 h"),
    ("Team conversation", "Collaboration, feedback, values", "45 min"),
    ("Hiring manager", "Expectations for the first ninety days", "30 min"),
]

INLINE_CODE = ["`git log --since=2024-01-01`", "`pip install pandas`", "`SELECT count(*) FROM hires`",
               "`kubectl get pods`", "`docker compose up`", "`pytest -k interview`", "`df.groupby(\"role\")`",
               "`terraform plan`"]

CODE_BLOCKS = [
    ("python", [
        "def offer_band(median: int, seniority: float) -> tuple[int, int]:",
        "    \"\"\"A simple salary band around the market median.\"\"\"",
        "    low = int(median * (0.9 + 0.1 * seniority))",
        "    high = int(median * (1.1 + 0.2 * seniority))",
        "    return low, high",
        "",
        "print(offer_band(205_000, 0.5))",
    ]),
    ("yaml", [
        "pipeline:",
        "  stages: [screen, technical, design, team, offer]",
        "  max_days: 21",
        "  panel:",
        "    - hiring-manager",
        "    - senior-engineer",
    ]),
    ("sql", [
        "SELECT role, percentile_cont(0.5) WITHIN GROUP (ORDER BY base) AS median_base",
        "FROM offers",
        "WHERE accepted AND offer_date >= DATE '2024-01-01'",
        "GROUP BY role",
        "ORDER BY median_base DESC;",
    ]),
    ("bash", [
        "# count open requisitions per team",
        "grep -c 'status: open' reqs/*.yaml | sort -t: -k2 -nr | head",
    ]),
]

EXTERNAL = [
    ("the Bureau of Labor Statistics", "https://www.bls.gov/ooh/"),
    ("our hiring playbook", "https://www.example.com/playbook/"),
    ("the Stack Overflow developer survey", "https://survey.stackoverflow.co/"),
    ("a recent industry report", "https://www.example.org/reports/tech-hiring"),
]

START_DATE = dt.date(2019, 1, 1)
END_DATE = dt.date(2025, 12, 31)  # every article is in the past: nothing is hidden as a future post


def slug_of(title: str) -> str:
    out, dash = [], False
    for ch in title.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def article_noun(title: str) -> str:
    """'AI Engineer' -> 'an AI Engineer'; 'ML Engineer' -> 'an ML Engineer'; 'Data Analyst' -> 'a Data Analyst'."""
    vowel_sound = title[0] in "AEIOU" or title.split()[0] in ("ML", "MLOps", "LLM", "NLP", "QA", "BI")
    return ("an " if vowel_sound else "a ") + title


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


# --------------------------------------------------------------------------------------------------------------
# Roles


def make_roles(rng: random.Random) -> list[dict]:
    roles = []
    for title in ROLE_TITLES:
        rid = slug_of(title)
        year = rng.choice([2024, 2025])
        roles.append({
            "id": rid,
            "title": title,
            "summary": f"{capital(article_noun(title))} {rng.choice(['designs', 'builds', 'runs', 'improves'])} "
                       f"the {rng.choice(FOCUS)} side of a product and works closely with the teams around it.",
            "median_base": rng.randrange(85, 265) * 1000,
            "job_postings": rng.randrange(40, 2400),
            "as_of": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "responsibilities": rng.sample(RESPONSIBILITIES, 4),
            "skills": rng.sample(SKILLS, 4),
            "frameworks": rng.sample(FRAMEWORKS, 3),
            "tools": rng.sample(TOOLS, 3),
        })
    return roles


def roles_yaml(roles: list[dict]) -> str:
    out = ["# yaml-language-server: $schema=../schemas/roles.schema.json"]
    for r in roles:
        out += [
            f"{r['id']}:",
            f"  title: {q(r['title'])}",
            f"  summary: {q(r['summary'])}",
            "  salary:",
            f"    median_base: {r['median_base']}",
            "    currency: USD",
            f"  job_postings: {r['job_postings']}",
            f"  as_of: {r['as_of']}",
            "  source: Generated benchmark data",
            "  responsibilities:",
        ]
        for name, detail in r["responsibilities"]:
            out += [f"    - name: {q(name)}", f"      detail: {q(detail)}"]
        out.append("  skills:")
        for name, detail in r["skills"]:
            out += [f"    - name: {q(name)}", f"      detail: {q(detail)}"]
        out.append(f"  frameworks: [{', '.join(q(x) for x in r['frameworks'])}]")
        out.append(f"  tools: [{', '.join(q(x) for x in r['tools'])}]")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------------------------
# Articles


def make_meta(rng: random.Random, n: int, roles: list[dict]) -> list[tuple]:
    """One small tuple per article: (slug, title, date, category, tags, role a, role b, topic title)."""
    span = (END_DATE - START_DATE).days
    metas = []
    for j in range(n):
        a, b = rng.sample(roles, 2)
        topic_slug, topic_title = rng.choice(TOPICS)
        slug = f"{a['id']}-vs-{b['id']}-{topic_slug}-{j + 1:06d}"
        title = f"{a['title']} vs {b['title']}: {topic_title}"
        date = START_DATE + dt.timedelta(days=rng.randrange(span + 1))
        category = rng.choice(CATEGORIES)
        tags = rng.sample(TAGS, rng.randrange(3, 6))
        metas.append((slug, title, date, category, tags, a, b, topic_title))
    return metas


def paragraph(rng: random.Random, a: str, b: str, sentences: int) -> str:
    parts = []
    for _ in range(sentences):
        if rng.random() < 0.3:
            na, nb = article_noun(a), article_noun(b)
            parts.append(rng.choice(ROLE_SENTENCES).format(a=a, b=b, na=na, nb=nb, Na=capital(na),
                                                           focus=rng.choice(FOCUS)))
        else:
            parts.append(rng.choice(GENERIC))
    return " ".join(parts)


def lead_image(seed: int, number: int) -> bytes:
    """A deterministic 1600x900 JPEG (a gradient and a few discs): the same arguments give the same bytes."""
    import io

    from PIL import Image, ImageDraw

    rng = random.Random(seed * 1_000_003 + number)  # its own stream: the articles' text does not depend on it
    top, bottom = [tuple(rng.randrange(20, 236) for _ in range(3)) for _ in range(2)]
    image = Image.linear_gradient("L").resize(IMAGE_SIZE)
    image = Image.composite(Image.new("RGB", IMAGE_SIZE, bottom), Image.new("RGB", IMAGE_SIZE, top), image)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y, r = rng.randrange(IMAGE_SIZE[0]), rng.randrange(IMAGE_SIZE[1]), rng.randrange(60, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def image_name(number: int) -> str | None:
    """The lead image of the article numbered `number` (from 1), for one article in IMAGE_EVERY."""
    return f"lead-{number:06d}.jpg" if number % IMAGE_EVERY == 1 else None


def article_text(rng: random.Random, meta: tuple, metas: list[tuple], image: str | None = None) -> str:
    slug, title, date, category, tags, ra, rb, _topic = meta
    a, b, ida, idb = ra["title"], rb["title"], ra["id"], rb["id"]
    year = date.year

    def link() -> str:
        index = rng.randrange(len(metas))
        if metas[index][0] == slug and len(metas) > 1:
            index = (index + 1) % len(metas)
        other = metas[index]
        return f"[{other[1].split(':')[0]}](/blog/{other[0]}/)"

    description = (f"Comparing {a}s and {b}s on responsibilities, skills and {year} pay, "
                   "so you can decide which hire fits your team.")
    if len(description) >= 160:
        description = f"{a} or {b}? Responsibilities, skills and {year} pay compared for hiring managers."
    assert len(description) < 160, description

    lines = [
        "---",
        f"title: {q(title)}",
        f"description: {q(description)}",
        f"date: {date.isoformat()}",
        f"category: {q(category)}",
        f"tags: [{', '.join(q(t) for t in tags)}]",
        f"roles: [{ida}, {idb}]",
        *([f"image: /images/{image}", f"image_alt: {q('Abstract shapes standing for ' + a + ' and ' + b)}"]
          if image else []),
        "quick_answer: >-",
        f"  Think of {article_noun(a)} as the owner of the wider system, while {article_noun(b)}",
        "  concentrates on one part of it. The median base salary sits at",
        f"  {{{{ salary(\"{ida}\") }}}} for the first and {{{{ salary(\"{idb}\") }}}} for the second.",
        "---",
        "",
        "{{ quick_answer() }}",
        "",
        paragraph(rng, a, b, 2) + f" If you are weighing other roles too, see {link()}.",
        "",
        f"## What does {article_noun(a)} actually do?",
        "",
        paragraph(rng, a, b, 2) + f" Today there are {{{{ postings(\"{ida}\") }}}} open positions for this role.",
        "",
        f"{{{{ responsibilities(\"{ida}\") }}}}",
        "",
        paragraph(rng, a, b, 3),
        "",
        f"## What does {article_noun(b)} actually do?",
        "",
        paragraph(rng, a, b, 2),
        "",
        f"{{{{ responsibilities(\"{idb}\") }}}}",
        "",
        paragraph(rng, a, b, 2),
        "",
        f"## How do {a} and {b} salaries compare in {year}?",
        "",
        f"{capital(article_noun(a))} earns a median base of {{{{ salary(\"{ida}\") }}}}, "
        f"against {{{{ salary(\"{idb}\") }}}} for {article_noun(b)}; the gap is "
        f"{{{{ salary_gap(\"{ida}\", \"{idb}\") }}}}. " + paragraph(rng, a, b, 1),
        "",
        "{{ salary_table() }}",
        "",
        paragraph(rng, a, b, 2) + f" There are {{{{ postings(\"{idb}\") }}}} open {b} positions, "
        f"according to {rng.choice(EXTERNAL)[0]}.",
        "",
        "## Which role fits your team's needs?",
        "",
        paragraph(rng, a, b, 1) + " Weigh these factors before you open a requisition:",
        "",
        f"- **Nature of your projects:** {paragraph(rng, a, b, 1)}",
        f"- **Team composition:** {paragraph(rng, a, b, 1)}",
        f"- **Budget:** {paragraph(rng, a, b, 1)} Compare with {link()}.",
        "",
        f"## Which skills should you look for in {article_noun(a)}?",
        "",
        paragraph(rng, a, b, 2),
        "",
        f"{{{{ skills(\"{ida}\") }}}}",
        "",
        f"## How should you interview {article_noun(b)}?",
        "",
        paragraph(rng, a, b, 2) + f" A simple pipeline we often recommend, tracked with {rng.choice(INLINE_CODE)}:",
        "",
        "| Stage | What it tests | Time |",
        "|---|---|---|",
    ]
    for stage in rng.sample(STAGES, 4):
        lines.append(f"| {stage[0]} | {stage[1]} | {stage[2]} |")
    lang, code = rng.choice(CODE_BLOCKS)
    lines += [
        "",
        paragraph(rng, a, b, 1) + " A starting point for the salary band, to adapt to your market:",
        "",
        f"```{lang}",
        *code,
        "```",
        "",
        paragraph(rng, a, b, 2),
        "",
    ]
    extra = rng.choice(QUESTIONS_EXTRA).format(na=article_noun(a), nb=article_noun(b))
    name, url = rng.choice(EXTERNAL)
    lines += [
        f"## {extra}",
        "",
        paragraph(rng, a, b, 3) + f" For market-wide figures, see [{name}]({url}).",
        "",
        paragraph(rng, a, b, 2),
        "",
        "## Further reading",
        "",
        "- " + link(),
        "- " + link(),
        "- " + link(),
        f"- Background data: {rng.choice(EXTERNAL)[1]}",  # a bare URL: pymdownx.magiclink links it
        "",
        "## Conclusion: making the right hire",
        "",
        paragraph(rng, a, b, 2),
        "",
        paragraph(rng, a, b, 1),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------
# Site


def _hash_tree(h: "hashlib._Hash", root: Path, names: tuple[str, ...]) -> None:
    for name in names:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
            h.update(f.read_bytes() if f.exists() else b"<missing>")
            h.update(b"\0")


def content_stamp(n: int, seed: int) -> dict:
    """What the generated content depends on: the arguments and this file. (The theme is re-synced separately.)"""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return {"n": n, "seed": seed, "generator": digest, "version": GENERATOR_VERSION}


def theme_digest(repo: Path = REPO) -> str:
    h = hashlib.sha256()
    _hash_tree(h, repo, THEME_SOURCES)
    return h.hexdigest()[:16]


def is_current(out: Path, n: int, seed: int) -> bool:
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("content") == content_stamp(n, seed)


def sync_theme(out: Path, repo: Path = REPO) -> None:
    """Copy templates/, static/, schemas/ and data/site.yaml from the repository, replacing the site's copies."""
    for name in ("templates", "static", "schemas"):
        if (out / name).exists():
            shutil.rmtree(out / name)
        if (repo / name).is_dir():
            shutil.copytree(repo / name, out / name, symlinks=False)
    if (out / IMAGES).is_dir():  # the generated lead images, beside the theme's own
        shutil.copytree(out / IMAGES, out / "static" / "images", dirs_exist_ok=True)
    (out / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(repo / "data" / "site.yaml", out / "data" / "site.yaml")


def _prepare(out: Path) -> None:
    """Empty OUT for a new site. Only an empty folder or one this script made (it has the stamp) is touched."""
    if out.exists():
        if not out.is_dir():
            sys.exit(f"error: {out} exists and is not a directory")
        if any(out.iterdir()) and not (out / STAMP).is_file():
            sys.exit(f"error: refusing to overwrite {out}: it is not empty and has no {STAMP} (not made by bench/generate.py)")
        for child in out.iterdir():
            if child.name != STAMP:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    # claim the folder first; the complete stamp replaces this at the end, so an interrupted run is regenerated
    (out / STAMP).write_text(json.dumps({"incomplete": True}) + "\n", encoding="utf-8")


def generate(n: int, out: Path, seed: int = 1, quiet: bool = True) -> dict:
    if n < 1:
        raise ValueError("--n must be at least 1")
    started = time.perf_counter()
    out = Path(out)
    _prepare(out)
    rng = random.Random(seed)
    roles = make_roles(rng)
    metas = make_meta(rng, n, roles)
    (out / "data").mkdir(parents=True, exist_ok=True)
    with open(out / "data" / "roles.yaml", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(roles_yaml(roles))
    content = out / "content"
    content.mkdir()
    words = 0
    (out / IMAGES).mkdir()
    for number, meta in enumerate(metas, 1):
        image = image_name(number)
        if image:
            (out / IMAGES / image).write_bytes(lead_image(seed, number))
        text = article_text(rng, meta, metas, image)
        words += len(text[text.index("\n---\n") + 5:].split())  # body words, as an editor would count them
        with open(content / f"{meta[0]}.md", "wb") as fh:
            fh.write(text.encode("utf-8"))
    sync_theme(out)
    stamp = {"content": content_stamp(n, seed), "articles": n, "roles": len(roles),
             "approx_words_per_article": round(words / n)}
    (out / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"generated {n} articles ({stamp['approx_words_per_article']} words each on average) and "
              f"{len(roles)} roles into {out} in {time.perf_counter() - started:.2f} s")
    return stamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a deterministic benchmark site of N articles.")
    parser.add_argument("--n", type=int, required=True, help="number of articles")
    parser.add_argument("--out", type=Path, required=True, help="site folder to write (content/, data/, templates/, static/)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    generate(args.n, args.out, args.seed, quiet=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
