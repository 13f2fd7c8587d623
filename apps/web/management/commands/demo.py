"""``manage.py demo``: the product on the embedded default, fed by the built-in GitHub emulator.

One command does what a newcomer would otherwise do by hand: create the App's key, start a local GitHub (org
``acme``, three repositories with 60-110 PRs of history, live activity every few seconds), start tformance
against it (SQLite file, tasks run in-process), create a demo admin and team, install the App through the real
install flow, track the three repositories (their history is imported from the emulator through GraphQL), then
print where to log in and keep serving until Ctrl-C.

Every run starts from a fresh demo database (``var/demo/db.sqlite3``, never your ``db.sqlite3``): the emulator
keeps its world in memory and dates its histories from the moment it starts, so last run's rows would no longer
match the GitHub the new run talks to. Running it twice therefore gives the same demo twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ._demo_install import install_app, member_attempt_connect, organization_create, repository_transfer
from ._demo_processes import (
    MANAGE_PY,
    DemoApp,
    DemoError,
    app_key_ensure,
    emulator_start,
    log_tail,
    port_free,
    processes_stop,
    server_start,
    wait_until_up,
)

if TYPE_CHECKING:
    from apps.teams.models import Team

DEMO_EMAIL = "demo@tformance.local"
DEMO_PASSWORD = "tformance-demo"
DEMO_TEAM = "Demo Team"
GITHUB_USER, GITHUB_ACCOUNT = "octo-admin", "acme"  # acme's owner (organization role admin)
# A plain member of acme with a tformance team of their own: tformance refuses to connect acme to it.
MEMBER_EMAIL, MEMBER_TEAM, MEMBER_GITHUB_USER = "member@tformance.local", "Side Project", "bob-martin"
# acme's second organization, connected to the demo team too: acme/infra is transferred there during the set-up,
# and its tracking and history follow it.
LABS_ORG, MOVED_REPOSITORY = "acme-labs", "infra"
FREE_ORG_OWNER, FREE_ORG = "mona", "globex"  # an organization no demo team has connected: the first try works
STAGE_MARKER = "TFORMANCE_DEMO_STARTED"  # set when this process runs with the demo environment
# A user's own configuration must not leak in: the demo is the embedded default, whatever the shell exports. The
# console email backend is what shows the demo's emails (verification, invitations) on the page.
CLEARED = ("CELERY_BROKER_URL", "REDIS_URL", "GITHUB_APP_PRIVATE_KEY", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_BACKEND")


def demo_environment(*, data_dir: Path, port: int, github_port: int, app: DemoApp) -> dict[str, str]:
    """tformance's settings for the demo: embedded default (SQLite file, no broker, local-memory cache), with
    GitHub (API and web pages) at the emulator and the App's credentials equal to the emulator's."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    github = f"http://127.0.0.1:{github_port}"
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",  # not a test runner's settings, when a test starts the demo
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        BASE_URL=f"http://127.0.0.1:{port}",
        GITHUB_API_URL=github,
        GITHUB_WEB_URL=github,
        GITHUB_APP_ID=str(app.app_id),
        GITHUB_APP_CLIENT_ID=app.client_id,
        GITHUB_APP_CLIENT_SECRET=app.client_secret,
        GITHUB_APP_SLUG=app.slug,
        GITHUB_APP_PRIVATE_KEY_PATH=str(data_dir / "github-app.pem"),
        GITHUB_APP_WEBHOOK_SECRET=app.webhook_secret,
        GITHUB_APP_CREDENTIALS_FILE="",  # an App registered for real development must not replace the emulator's
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    return env


@dataclass(frozen=True)
class DemoPlan:
    """Where everything of one demo run lives: ports, files, and the environment tformance runs with."""

    port: int
    github_port: int
    data_dir: Path
    live_interval: float
    seed: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def github_url(self) -> str:
        return f"http://127.0.0.1:{self.github_port}"

    @property
    def key_path(self) -> Path:
        return self.data_dir / "github-app.pem"

    def log(self, name: str) -> Path:
        return self.data_dir / f"{name}.log"

    @property
    def env(self) -> dict[str, str]:
        return demo_environment(data_dir=self.data_dir, port=self.port, github_port=self.github_port, app=DemoApp())


class Command(BaseCommand):
    help = "Run the demo: GitHub emulator + tformance on the embedded default, App installed, repositories tracked."
    # The first pass runs before the demo environment exists (no webhook secret yet); it only re-executes itself.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000, help="tformance's port (default 8000)")
        parser.add_argument("--github-port", type=int, default=8765, help="the GitHub emulator's port (default 8765)")
        parser.add_argument("--live-interval", type=float, default=20.0, help="seconds between live PR actions")
        parser.add_argument("--seed", type=int, default=42, help="seed of the emulator's histories")
        parser.add_argument("--data-dir", type=Path, default=Path(settings.BASE_DIR) / "var" / "demo")
        parser.add_argument("--exit-after-setup", action="store_true", help="stop once everything is set up")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = DemoPlan(
            port=options["port"],
            github_port=options["github_port"],
            data_dir=options["data_dir"].resolve(),
            live_interval=options["live_interval"],
            seed=options["seed"],
        )
        if STAGE_MARKER not in os.environ:
            self._reexec_with(plan, exit_after_setup=options["exit_after_setup"])
        try:
            self._run(plan, exit_after_setup=options["exit_after_setup"])
        except DemoError as exc:
            raise CommandError(str(exc)) from None

    def _reexec_with(self, plan: DemoPlan, *, exit_after_setup: bool) -> None:
        """Settings are read once, at start-up; run this command again with the demo environment so this process
        (which migrates and imports) and the web server it starts see exactly the same configuration."""
        env = {**plan.env, STAGE_MARKER: repr(time.time())}
        args = [sys.executable, str(MANAGE_PY), "demo", "--port", str(plan.port)]
        args += ["--github-port", str(plan.github_port), "--live-interval", str(plan.live_interval)]
        args += ["--seed", str(plan.seed), "--data-dir", str(plan.data_dir)]
        args += ["--exit-after-setup"] if exit_after_setup else []
        self.stdout.flush()
        os.execve(sys.executable, args, env)  # noqa: S606 - our own interpreter and manage.py

    def _run(self, plan: DemoPlan, *, exit_after_setup: bool) -> None:
        started = float(os.environ[STAGE_MARKER])
        for taken in (p for p in (plan.port, plan.github_port) if not port_free(p)):
            raise DemoError(
                f"Port {taken} is in use (another demo still running?). Stop it, or pass --port / "
                "--github-port (make demo PORT=... GITHUB_PORT=...)."
            )
        self._fresh_data_dir(plan)
        children: list[subprocess.Popen[bytes]] = []
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the children on kill too
        try:
            team = self._set_up(plan, children)
            self._announce(plan, team=team, started=started, serving=not exit_after_setup)
            if not exit_after_setup:
                self._serve(children, [plan.log("github"), plan.log("server")])
        except KeyboardInterrupt:
            self.stdout.write("\nStopping.")
        finally:
            processes_stop(children)

    def _set_up(self, plan: DemoPlan, children: list[subprocess.Popen[bytes]]) -> Team:
        """GitHub and tformance up, the App installed by the demo admin, every repository tracked and imported.
        Started children are appended to ``children`` at once, so they are stopped whatever fails next."""
        emulator = emulator_start(
            app=DemoApp(),
            port=plan.github_port,
            webhook_url=f"{plan.base_url}/webhooks/github/",
            key_path=plan.key_path,
            live_interval=plan.live_interval,
            seed=plan.seed,
            log_path=plan.log("github"),
        )
        children.append(emulator)
        self._step("Preparing the database")
        call_command("migrate", interactive=False, verbosity=0)  # while the emulator boots
        team = self._demo_team()
        server = server_start(port=plan.port, env=plan.env, log_path=plan.log("server"))
        children.append(server)
        wait_until_up(
            f"{plan.github_url}/_emulator/state", process=emulator, name="GitHub emulator", log_path=plan.log("github")
        )
        wait_until_up(f"{plan.base_url}/accounts/login/", process=server, name="tformance", log_path=plan.log("server"))
        self._step(f"Installing the App on GitHub account {GITHUB_ACCOUNT} (as {GITHUB_USER}, all repositories)")
        installed = install_app(
            base_url=plan.base_url,
            team_slug=team.slug,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            github_user=GITHUB_USER,
            account=GITHUB_ACCOUNT,
        )
        self._step(f"Connected {GITHUB_ACCOUNT} to {team.name}: {GITHUB_USER} is an owner of {GITHUB_ACCOUNT}")
        refusal = member_attempt_connect(
            base_url=plan.base_url,
            github_url=plan.github_url,
            client_id=DemoApp().client_id,
            team_slug=self._member_team().slug,
            email=MEMBER_EMAIL,
            password=DEMO_PASSWORD,
            github_user=MEMBER_GITHUB_USER,
            installation_id=installed.installation_id,
        )
        self._step(f"Refused {MEMBER_GITHUB_USER} (a plain member of {GITHUB_ACCOUNT}) for {MEMBER_TEAM}: {refusal}")
        self._track_all(team)
        self._transfer_between_organizations(plan, team)
        return team

    def _transfer_between_organizations(self, plan: DemoPlan, team: Team) -> None:
        """Connect acme's second organization, transfer acme/infra to it on GitHub, and check the team still tracks
        it with every pull request it had (the dashboard stays whole)."""
        from apps.integrations.models import TrackedRepository
        from apps.metrics.models import PullRequest

        organization_create(
            github_url=plan.github_url, login=LABS_ORG, name="Acme Labs", admins=[GITHUB_USER], members=[]
        )
        install_app(
            base_url=plan.base_url, team_slug=team.slug, email=DEMO_EMAIL, password=DEMO_PASSWORD,
            github_user=GITHUB_USER, account=LABS_ORG,
        )  # fmt: skip
        self._step(f"Connected {LABS_ORG}, a second organization, to {team.name}")
        old_name = f"{GITHUB_ACCOUNT}/{MOVED_REPOSITORY}"
        tracked = TrackedRepository.objects.get(team=team, full_name=old_name)
        before = PullRequest.objects.filter(team=team, github_repo_id=tracked.github_repo_id).count()
        new_name = repository_transfer(
            github_url=plan.github_url, repository=old_name, new_owner=LABS_ORG, sender=GITHUB_USER
        )
        tracked.refresh_from_db()
        kept = PullRequest.objects.filter(team=team, github_repo_id=tracked.github_repo_id, github_repo=new_name)
        owner = tracked.installation.account_login if tracked.installation else ""
        if not tracked.is_active or owner != LABS_ORG or kept.count() < before:
            raise DemoError(
                f"After the transfer of {old_name}, the team's tracking is {tracked.inactive_reason or 'active'} "
                f"through {owner or 'no installation'}, with {kept.count()} of {before} pull requests."
            )
        self._step(f"Transferred {old_name} to {LABS_ORG} on GitHub: still tracked, all {before} pull requests kept")

    def _fresh_data_dir(self, plan: DemoPlan) -> None:
        """A new demo database each run (see the module docstring); the App key is kept."""
        created = app_key_ensure(plan.key_path)
        self._step(f"{'Created' if created else 'Using'} the App's private key {plan.key_path}")
        stale = ("db.sqlite3", "db.sqlite3-journal", "db.sqlite3-wal", "db.sqlite3-shm", "github.log", "server.log")
        for name in stale:
            (plan.data_dir / name).unlink(missing_ok=True)

    def _demo_team(self) -> Team:
        from apps.teams.selectors import user_teams
        from apps.teams.services import team_create
        from apps.users.models import User

        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        return user_teams(user=user).first() or team_create(name=DEMO_TEAM, owner=user)

    def _member_team(self) -> Team:
        from apps.teams.selectors import user_teams
        from apps.teams.services import team_create
        from apps.users.models import User

        user = User.objects.filter(email=MEMBER_EMAIL).first()
        if user is None:
            user = User.objects.create_user(email=MEMBER_EMAIL, password=DEMO_PASSWORD)
        return user_teams(user=user).first() or team_create(name=MEMBER_TEAM, owner=user)

    def _track_all(self, team: Team) -> None:
        """Track every repository the installation reaches; with no broker each history imports in this process
        (on its background thread, waited for here)."""
        from apps.integrations.models import ImportStatus, TrackedRepository
        from apps.integrations.selectors import team_repositories
        from apps.integrations.services.queueing import background
        from apps.integrations.services.tracking import repository_track

        for repo in team_repositories(team=team):
            began = time.monotonic()
            repository_track(team=team, github_repo_id=repo.github_repo_id)
            background.join()
            row = TrackedRepository.objects.get(team=team, github_repo_id=repo.github_repo_id)
            if row.import_status != ImportStatus.IDLE or row.last_imported_at is None:
                raise DemoError(f"Importing {row.full_name} did not finish ({row.import_status}): {row.import_error}")
            self._step(
                f"Tracked {row.full_name}: {row.import_count} pull requests imported "
                f"in {time.monotonic() - began:.1f} s"
            )

    def _announce(self, plan: DemoPlan, *, team: Team, started: float, serving: bool) -> None:
        live = (
            f"live PR activity every {plan.live_interval:g} s, each merge deployed"
            if plan.live_interval > 0
            else "no live activity"
        )
        lines = [
            "",
            f"  tformance demo is ready (set up in {time.time() - started:.1f} s)",
            "",
            f"  open      {plan.base_url}/a/{team.slug}/dashboard/",
            f"  log in    {DEMO_EMAIL} / {DEMO_PASSWORD}",
            f"            {MEMBER_EMAIL} / {DEMO_PASSWORD}  ({MEMBER_TEAM}: {MEMBER_GITHUB_USER}, a plain member of "
            f"{GITHUB_ACCOUNT}, was refused {GITHUB_ACCOUNT}'s installation)",
            f"  GitHub    {plan.github_url}  (emulator: org {GITHUB_ACCOUNT}; {live})",
            f"  try       a new sign-up, then Connect GitHub as {FREE_ORG_OWNER} (owner of {FREE_ORG}, not connected "
            "yet: it connects),",
            f"            or Connect an existing installation signed in to GitHub as {MEMBER_GITHUB_USER} (a plain "
            f"member of {GITHUB_ACCOUNT}, connected to {DEMO_TEAM}: refused, with why)",
            f"            a transfer back: curl -X POST {plan.github_url}/_emulator/transfers -H 'Content-Type: "
            f'application/json\' -d \'{{"repository": "{LABS_ORG}/{MOVED_REPOSITORY}", "new_owner": '
            f'"{GITHUB_ACCOUNT}"}}\'',
            f"  logs      {plan.log('server')}  {plan.log('github')}",
            "",
            "  Ctrl-C stops the server and the emulator." if serving else "  Stopping (--exit-after-setup).",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()

    def _serve(self, children: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
        """Until Ctrl-C; if the emulator or the server dies on its own, say so with the end of its log."""
        while True:
            for child, log in zip(children, logs, strict=True):
                if child.poll() is not None:
                    raise DemoError(f"{log.stem} stopped (exit {child.returncode}):\n{log_tail(log)}")
            time.sleep(0.5)

    def _step(self, message: str) -> None:
        self.stdout.write(f"  · {message}")
        self.stdout.flush()
