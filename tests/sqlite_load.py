"""Ordinary concurrency against a running demo (``manage.py demo``: runserver on a SQLite file, tasks in-process,
the GitHub emulator sending webhooks): sign-ups, Track / Import now on the repositories page and webhook deliveries,
released at once from many threads. Used by ``tests/test_sqlite_concurrency.py``; runnable by hand against a demo
that is already up (``python -m tests.sqlite_load http://127.0.0.1:8000 http://127.0.0.1:8765 var/demo``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import requests

DEMO_EMAIL, DEMO_PASSWORD = "demo@tformance.local", "tformance-demo"
TEAM = "demo-team"
TRACKED = re.compile(r'<span class="badge ok">Tracked</span>')


@dataclass
class Outcome:
    """What one request of the wave was and how it was answered."""

    kind: str
    status: int
    subject: str = ""
    text: str = ""


@dataclass
class Demo:
    base_url: str
    github_url: str
    data_dir: Path
    repositories: dict[str, int] = field(default_factory=dict)  # full_name -> github_repo_id

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.data_dir / "db.sqlite3", timeout=30)

    def repos_url(self, github_repo_id: int, action: str) -> str:
        return f"{self.base_url}/a/{TEAM}/integrations/github/repos/{github_repo_id}/{action}/"


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=60)
    page.raise_for_status()
    return session.cookies["csrftoken"]


def admin_session(demo: Demo) -> requests.Session:
    """The demo admin, logged in through the login form."""
    session = requests.Session()
    token = _csrf(session, f"{demo.base_url}/accounts/login/")
    answer = session.post(
        f"{demo.base_url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": DEMO_EMAIL, "password": DEMO_PASSWORD},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def _clone(session: requests.Session) -> requests.Session:
    """A session of the same user for one thread (``requests.Session`` is not meant to be shared by threads)."""
    clone = requests.Session()
    clone.cookies.update(session.cookies.get_dict())
    return clone


def repository_ids(demo: Demo, owners: tuple[str, ...] = ("acme", "acme-labs")) -> dict[str, int]:
    """The repositories of the organizations the demo team installed the App on (the emulator has others)."""
    state = requests.get(f"{demo.github_url}/_emulator/state", timeout=30).json()
    return {r["full_name"]: r["id"] for r in state["repositories"] if r["full_name"].split("/")[0] in owners}


def page_write(admin: requests.Session, demo: Demo, kind: str, full_name: str) -> Outcome:
    """Track, Untrack or Import now as the page's htmx button sends it; the answer is the row it shows."""
    session = _clone(admin)
    url = demo.repos_url(
        demo.repositories[full_name], {"track": "track", "untrack": "untrack", "import": "import"}[kind]
    )
    answer = session.post(
        url,
        headers={"X-CSRFToken": admin.cookies["csrftoken"], "HX-Request": "true", "Referer": demo.base_url + "/"},
        timeout=120,
    )
    return Outcome(kind, answer.status_code, full_name, answer.text)


def sign_up(demo: Demo, email: str) -> Outcome:
    session = requests.Session()
    try:
        token = _csrf(session, f"{demo.base_url}/accounts/signup/")
    except requests.HTTPError as exc:
        return Outcome("signup", exc.response.status_code, email)
    answer = session.post(
        f"{demo.base_url}/accounts/signup/",
        data={
            "csrfmiddlewaretoken": token,
            "email": email,
            "password1": "correct-horse-battery-9",
            "password2": "correct-horse-battery-9",
            "team_name": f"Team {email}",
        },
        timeout=120,
        allow_redirects=False,
    )
    return Outcome("signup", answer.status_code, email)


def emulator_activity(demo: Demo, full_name: str) -> Outcome:
    """The emulator performs one PR action on GitHub's side and delivers its webhooks (signed) to tformance."""
    answer = requests.post(
        f"{demo.github_url}/_emulator/activity", json={"repository": full_name, "count": 1}, timeout=120
    )
    events = sum(len(result["events"]) for result in answer.json()["results"]) if answer.ok else 0
    return Outcome("activity", answer.status_code, full_name, str(events))


def run_at_once(calls: list[Callable[[], Outcome]]) -> list[Outcome]:
    """Every call on its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], Outcome]) -> Outcome:
        barrier.wait()
        try:
            return call()
        except requests.ConnectionError as exc:  # no answer at all: the server refused or dropped the connection
            return Outcome(getattr(call, "func", call).__name__, 0, text=repr(exc))

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(go, calls))


def deliveries_log(demo: Demo) -> list[dict]:
    """The emulator's delivery log (what GitHub shows under the App's Advanced tab): every webhook it sent."""
    state = requests.get(f"{demo.github_url}/_emulator/state", timeout=30).json()
    app_id = state["apps"][0]["id"]
    from github_app.app_jwt import create_app_jwt

    jwt = create_app_jwt(str(app_id), (demo.data_dir / "github-app.pem").read_text())
    headers = {"Authorization": f"Bearer {jwt}", "Accept": "application/vnd.github+json"}
    url: str | None = f"{demo.github_url}/app/hook/deliveries?per_page=100"
    found: list[dict] = []
    while url:
        answer = requests.get(url, headers=headers, timeout=30)
        answer.raise_for_status()
        found += answer.json()
        url = answer.links.get("next", {}).get("url")
    return found


@dataclass
class Round:
    outcomes: list[Outcome]
    signups: list[str]


def one_round(demo: Demo, admin: requests.Session, *, change: str, signups: int, activity: int, imports: int) -> Round:
    """At once: ``change`` ("track" or "untrack") two repositories, Import now the third, sign-ups, and the emulator's
    webhooks. The two repositories are first put in the other state, one request at a time."""
    names = sorted(demo.repositories)
    changed, imported = names[:2], names[2]
    before = [page_write(admin, demo, "untrack" if change == "track" else "track", name) for name in changed]
    run = uuid.uuid4().hex[:8]
    emails = [f"load-{run}-{i}@example.com" for i in range(signups)]
    calls: list[Callable[[], Outcome]] = [partial(sign_up, demo, email) for email in emails]
    calls += [partial(page_write, admin, demo, change, name) for name in changed]
    calls += [partial(page_write, admin, demo, "import", imported) for _ in range(imports)]
    calls += [partial(emulator_activity, demo, names[i % len(names)]) for i in range(activity)]
    return Round([replace(o, kind=f"first {o.kind}") for o in before] + run_at_once(calls), emails)


def tracked_in_db(demo: Demo, full_name: str) -> bool:
    with demo.db() as db:
        row = db.execute(
            "SELECT is_active FROM integrations_trackedrepository WHERE full_name = ?", (full_name,)
        ).fetchone()
    return bool(row and row[0])


def users_in_db(demo: Demo, emails: list[str]) -> set[str]:
    with demo.db() as db:
        marks = ",".join("?" * len(emails))
        return {r[0] for r in db.execute(f"SELECT email FROM users_user WHERE email IN ({marks})", emails)}


def deliveries_in_db(demo: Demo) -> set[str]:
    with demo.db() as db:
        return {r[0] for r in db.execute("SELECT delivery_id FROM integrations_webhookdelivery")}


def summary(outcomes: list[Outcome], log: list[dict]) -> dict[str, object]:
    by_kind = Counter((o.kind, o.status) for o in outcomes)
    hooks = Counter(str(d.get("status_code") or d.get("status")) for d in log)
    return {
        "requests": len(outcomes) + len(log),
        "page_and_signup_answers": {f"{k} {s}": n for (k, s), n in sorted(by_kind.items())},
        "webhook_answers": dict(hooks),
        "500s": sum(1 for o in outcomes if o.status >= 500) + sum(1 for d in log if (d.get("status_code") or 0) >= 500),
    }


def main(base_url: str, github_url: str, data_dir: str, rounds: int = 3) -> None:
    demo = Demo(base_url, github_url, Path(data_dir))
    demo.repositories = repository_ids(demo)
    admin = admin_session(demo)
    before = {d["guid"] for d in deliveries_log(demo)}
    outcomes: list[Outcome] = []
    started = time.monotonic()
    for i in range(rounds):
        change = "track" if i % 2 == 0 else "untrack"
        outcomes += one_round(demo, admin, change=change, signups=40, activity=12, imports=3).outcomes
    log = [d for d in deliveries_log(demo) if d["guid"] not in before]
    print(json.dumps(summary(outcomes, log), indent=1), f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(*sys.argv[1:4], *(int(a) for a in sys.argv[4:5]))
