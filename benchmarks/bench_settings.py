"""Settings for the webhook benchmark: the production settings plus two comparison endpoints."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
