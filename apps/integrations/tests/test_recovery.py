"""The redelivery job: what GitHub failed to hand us comes back, bounded, resuming where it stopped.

GitHub's delivery log is mocked with `responses` in the shape of the REST example
(apps-list-webhook-deliveries.json): one entry per attempt, newest first, cursor pagination.
"""

import copy
import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from apps.integrations.models import Checkpoint
from apps.integrations.services.recovery import CHECKPOINT_NAME, deliveries_recover_failed
from apps.integrations.tests.factories import DeliveryFactory
from github_app import ServerError
from github_app.tests.fixtures import api_example

pytestmark = pytest.mark.django_db

API = "https://api.github.com"
NOW = datetime.now(UTC)


def entry(n: int, *, guid: str, status_code: int, minutes_ago: int) -> dict:
    item = copy.deepcopy(api_example("apps-list-webhook-deliveries.json")[0])
    item.update(
        id=n,
        guid=guid,
        status_code=status_code,
        status="OK" if status_code == 200 else "Invalid HTTP Response: 503",
        delivered_at=(NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return item


def serve_log(
    pages: list[list[dict]], refuse: dict[int, tuple[int, str]] | None = None, on_attempt=lambda: None
) -> list[int]:
    """Register the log as pages linked by cursors; returns the list that collects redelivered ids.

    ``refuse`` maps delivery ids to the (status, message) GitHub answers their redelivery attempt with instead of
    202; the test may change it between runs."""
    refuse = {} if refuse is None else refuse
    for i, page in enumerate(pages):
        headers = {}
        if i + 1 < len(pages):
            headers["Link"] = f'<{API}/app/hook/deliveries?per_page=100&cursor=c{i + 1}>; rel="next"'
        match = [responses.matchers.query_param_matcher({"per_page": "100", **({"cursor": f"c{i}"} if i else {})})]
        responses.get(f"{API}/app/hook/deliveries", json=page, headers=headers, match=match)
    redelivered: list[int] = []

    def attempt(request):
        delivery_id = int(re.search(r"deliveries/(\d+)/attempts", request.url).group(1))
        if delivery_id in refuse:
            status, message = refuse[delivery_id]
            return status, {}, json.dumps({"message": message, "documentation_url": "https://docs.github.com"})
        redelivered.append(delivery_id)
        on_attempt()
        return 202, {}, "{}"

    responses.add_callback(responses.POST, re.compile(rf"{API}/app/hook/deliveries/\d+/attempts"), callback=attempt)
    responses.post(re.compile(rf"{API}/app/installations/\d+/access_tokens"), status=500)
    return redelivered


@responses.activate
def test_failed_deliveries_we_never_stored_are_redelivered_once(github_app_settings):
    DeliveryFactory(delivery_id="stored", event="ping", received_at=NOW, payload="{}")
    redelivered = serve_log(
        [
            [
                entry(6, guid="lost-then-ok", status_code=200, minutes_ago=1),  # a later attempt succeeded
                entry(5, guid="lost", status_code=503, minutes_ago=2),
                entry(4, guid="lost", status_code=503, minutes_ago=3),  # same delivery, an older attempt
                entry(3, guid="stored", status_code=502, minutes_ago=4),  # GitHub saw a timeout; we have it
            ],
            [
                entry(2, guid="lost-then-ok", status_code=503, minutes_ago=5),
                entry(1, guid="fine", status_code=200, minutes_ago=6),
            ],
        ]
    )
    assert deliveries_recover_failed() == 1
    assert redelivered == [5]


@responses.activate
def test_the_next_run_reads_only_what_is_newer_than_the_previous_scan(github_app_settings):
    redelivered = serve_log([[entry(2, guid="lost", status_code=503, minutes_ago=10)]])
    assert deliveries_recover_failed() == 1
    DeliveryFactory(delivery_id="lost", event="ping", received_at=NOW, payload="{}")  # it came back
    older_than_checkpoint = entry(1, guid="ancient", status_code=503, minutes_ago=20)
    responses.replace(
        responses.GET,
        f"{API}/app/hook/deliveries",
        json=[
            entry(3, guid="new-lost", status_code=503, minutes_ago=1),
            entry(2, guid="lost", status_code=503, minutes_ago=10),
            older_than_checkpoint,
        ],
    )
    assert deliveries_recover_failed() == 1
    assert redelivered == [2, 3]
    assert "cursor" not in Checkpoint.objects.get(name=CHECKPOINT_NAME).value


@responses.activate
def test_a_run_is_bounded_and_the_next_run_resumes_where_it_stopped(github_app_settings):
    pages = [
        [entry(100 - i, guid=f"p0-{i}", status_code=503, minutes_ago=i) for i in range(3)],
        [entry(50 - i, guid=f"p1-{i}", status_code=503, minutes_ago=10 + i) for i in range(3)],
    ]
    redelivered = serve_log(pages)
    assert deliveries_recover_failed(budget=4) == 4
    assert Checkpoint.objects.get(name=CHECKPOINT_NAME).value["cursor"] == "c1"
    # Those redeliveries arrived and were stored meanwhile.
    for guid in ["p0-0", "p0-1", "p0-2", "p1-0"]:
        DeliveryFactory(delivery_id=guid, event="ping", received_at=NOW, payload="{}")
    assert deliveries_recover_failed(budget=4) == 2
    assert sorted(redelivered) == sorted([100, 99, 98, 50, 49, 48])
    assert "cursor" not in Checkpoint.objects.get(name=CHECKPOINT_NAME).value


def test_without_app_credentials_the_job_does_nothing(settings):
    settings.GITHUB_APP_ID = ""
    assert deliveries_recover_failed() == 0


@responses.activate
def test_an_entry_github_refuses_to_redeliver_is_skipped_with_its_reason_and_never_blocks_later_runs(
    github_app_settings, caplog
):
    log = [
        entry(3, guid="a", status_code=503, minutes_ago=1),
        entry(2, guid="refused", status_code=503, minutes_ago=2),
        entry(1, guid="b", status_code=503, minutes_ago=3),
    ]
    redelivered = serve_log([log], refuse={2: (422, "Validation Failed")})

    assert deliveries_recover_failed() == 2
    assert redelivered == [3, 1]
    assert any("refused" in r.getMessage() and "422" in r.getMessage() for r in caplog.records)

    for guid in ("a", "b"):  # the redeliveries arrived
        DeliveryFactory(delivery_id=guid, event="ping", received_at=NOW, payload="{}")
    assert deliveries_recover_failed() == 0  # the next run neither fails on the refused entry nor asks again
    assert redelivered == [3, 1]


@responses.activate
def test_a_stale_cursor_github_refuses_starts_the_scan_over_instead_of_failing_forever(github_app_settings, caplog):
    checkpoint = Checkpoint.objects.create(
        name=CHECKPOINT_NAME,
        value={"since": (NOW - timedelta(hours=1)).isoformat(), "newest": NOW.isoformat(), "cursor": "stale"},
    )
    responses.get(
        f"{API}/app/hook/deliveries",
        status=400,
        json={"message": "Invalid cursor"},
        match=[responses.matchers.query_param_matcher({"per_page": "100", "cursor": "stale"})],
    )
    redelivered = serve_log([[entry(1, guid="lost", status_code=503, minutes_ago=5)]])

    assert deliveries_recover_failed() == 0
    checkpoint.refresh_from_db()
    assert checkpoint.value.get("cursor") is None
    assert any("cursor" in r.getMessage() and "400" in r.getMessage() for r in caplog.records)
    assert deliveries_recover_failed() == 1 and redelivered == [1]


@responses.activate
def test_a_run_cut_short_by_github_failing_keeps_what_it_asked_for(github_app_settings):
    """The place is saved before and after each redelivery: a crash never makes the next run ask twice."""
    refuse = {2: (500, "Server Error")}
    redelivered = serve_log(
        [[entry(3, guid="a", status_code=503, minutes_ago=1), entry(2, guid="b", status_code=503, minutes_ago=2)]],
        refuse,
    )

    with pytest.raises(ServerError):
        deliveries_recover_failed()
    assert redelivered == [3]

    refuse.clear()
    assert deliveries_recover_failed() == 1
    assert redelivered == [3, 2]  # "a" was not asked for again


@responses.activate
def test_the_scan_stays_inside_githubs_three_day_retention_with_a_margin(github_app_settings):
    """An entry about to leave GitHub's log could vanish mid-scan or be refused: the window ends an hour before."""
    Checkpoint.objects.create(name=CHECKPOINT_NAME, value={"since": (NOW - timedelta(days=5)).isoformat()})
    redelivered = serve_log(
        [
            [
                entry(2, guid="recent", status_code=503, minutes_ago=60 * 60),
                entry(1, guid="at-the-edge", status_code=503, minutes_ago=71 * 60 + 30),
            ]
        ]
    )
    assert deliveries_recover_failed() == 1
    assert redelivered == [2]


@responses.activate
def test_a_scan_rate_limited_half_way_resumes_on_the_page_it_reached(github_app_settings):
    """Page 1 is read and its lost delivery asked for; page 2 answers a rate limit. The next run starts on page 2:
    page 1 is not read again."""
    redelivered = serve_log([])  # the redelivery endpoint; the log itself is served below
    second_page_limited = True
    reads: list[str | None] = []

    def log(request):
        cursor = dict(parse_qsl(urlsplit(request.url).query)).get("cursor")
        reads.append(cursor)
        if cursor is None:
            link = f'<{API}/app/hook/deliveries?per_page=100&cursor=c1>; rel="next"'
            return 200, {"Link": link}, json.dumps([entry(3, guid="a", status_code=503, minutes_ago=1)])
        if second_page_limited:
            reset = str(int(NOW.timestamp()) + 600)
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            return 403, headers, json.dumps({"message": "API rate limit exceeded"})
        return 200, {}, json.dumps([entry(2, guid="b", status_code=503, minutes_ago=2)])

    responses.add_callback(responses.GET, f"{API}/app/hook/deliveries", callback=log)

    assert deliveries_recover_failed() == 1
    assert Checkpoint.objects.get(name=CHECKPOINT_NAME).value["cursor"] == "c1"

    second_page_limited, reads[:] = False, []
    assert deliveries_recover_failed() == 1 and redelivered == [3, 2]
    assert reads == ["c1"]  # page 1 was not read again


@responses.activate
def test_a_run_reads_no_more_pages_than_allowed_and_the_next_goes_on(github_app_settings):
    pages = [[entry(10 - i, guid=f"p{i}", status_code=200, minutes_ago=i)] for i in range(5)]
    serve_log(pages)
    deliveries_recover_failed(pages=2)
    assert len([c for c in responses.calls if c.request.method == "GET"]) == 2
    assert Checkpoint.objects.get(name=CHECKPOINT_NAME).value["cursor"] == "c2"
    deliveries_recover_failed(pages=10)
    assert "cursor" not in Checkpoint.objects.get(name=CHECKPOINT_NAME).value


@responses.activate
def test_redelivery_requests_are_paced_at_least_a_second_apart(github_app_settings):
    """GitHub asks for at least a second between mutative requests; the scan waits out what remains of it."""
    now = [1000.0]
    asked_at: list[float] = []
    pages = [[entry(10 - i, guid=f"lost-{i}", status_code=503, minutes_ago=i) for i in range(3)]]
    redelivered = serve_log(pages, on_attempt=lambda: asked_at.append(now[0]))

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def clock() -> float:
        now[0] += 0.25  # time goes by between two looks at the clock
        return now[0]

    assert deliveries_recover_failed(clock=clock, sleep=sleep) == 3

    assert redelivered == [10, 9, 8]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(asked_at))
