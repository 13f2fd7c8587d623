"""What GitHub says about an account, whichever API described it (a webhook's ``user`` or a GraphQL ``Actor``)."""

from __future__ import annotations

BOT_SUFFIX = "[bot]"


def is_bot_account(*, type_name: str, login: str) -> bool:
    """GitHub marks apps with ``type`` (REST, webhooks) or ``__typename`` (GraphQL) ``"Bot"``; their logins also end
    in ``[bot]`` (in any case) where the type is missing or says ``User``, as for a few older integrations."""
    return type_name == "Bot" or login.lower().endswith(BOT_SUFFIX)


# GitHub's placeholder for a deleted account: every deleted user's PRs, reviews and comments name it afterwards.
GHOST_ID, GHOST_LOGIN = 10137, "ghost"


def is_ghost_account(*, github_id: int | None, login: str) -> bool:
    """``ghost`` stands for any deleted account, so it is no one in particular."""
    return github_id == GHOST_ID or login == GHOST_LOGIN
