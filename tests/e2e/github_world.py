"""What the GitHub emulator holds, counted the way the dashboard defines its numbers, so the browser tests compare
the page with the source of the data rather than with numbers written into the test."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from github_app.emulator import EmulatorServer
from github_app.emulator.models import PullRequest


@dataclass(frozen=True)
class Window:
    """The dashboard's period: [start 00:00, the day after end 00:00) in UTC (the product's time zone)."""

    start: date
    end: date  # inclusive

    def __contains__(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        # GitHub's timestamps have whole seconds; the emulator keeps microseconds it never sends.
        moment = moment.replace(microsecond=0)
        return (
            datetime.combine(self.start, time.min, UTC)
            <= moment
            < datetime.combine(self.end + timedelta(days=1), time.min, UTC)
        )


def pull_requests(gh: EmulatorServer, repositories: Iterable[str]) -> Iterator[tuple[str, PullRequest]]:
    """Every PR of the repositories as the emulator serves it now: generated history plus live changes."""
    state = gh.state
    for full_name in repositories:
        repo = state.repo_by_full_name(full_name)
        assert repo is not None, full_name
        with state.lock:
            numbers = sorted(set(range(1, repo.history_count + 1)) | set(repo.live))
        for number in numbers:
            pr = state.pull_request(repo, number)
            if pr is not None:
                yield full_name, pr


def is_bot(gh: EmulatorServer, login: str) -> bool:
    account = gh.state.account(login)
    return login.endswith("[bot]") or (account is not None and account.type == "Bot")


def human_prs(gh: EmulatorServer, repositories: Iterable[str]) -> list[PullRequest]:
    """The PRs the dashboard counts by default: bot-authored ones are left out."""
    return [pr for _, pr in pull_requests(gh, repositories) if not is_bot(gh, pr.user)]


def merged_in(gh: EmulatorServer, repositories: Iterable[str], window: Window) -> int:
    """ "Merged PRs" on the dashboard: human-authored PRs merged in the period."""
    return sum(1 for pr in human_prs(gh, repositories) if pr.merged_at in window)


def opened_or_merged_in(gh: EmulatorServer, repositories: Iterable[str], window: Window) -> int:
    """The PR table's population: human-authored PRs opened or merged in the period."""
    return sum(1 for pr in human_prs(gh, repositories) if pr.created_at in window or pr.merged_at in window)
