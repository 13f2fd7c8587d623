"""One rule says which accounts are bots, for webhook users and GraphQL actors alike."""

from github_app import Actor
from github_app.accounts import is_bot_account
from github_app.webhooks.models import GitHubUser


def test_a_bot_is_typed_bot_or_has_a_bot_login_in_any_case():
    assert is_bot_account(type_name="Bot", login="dependabot")
    assert is_bot_account(type_name="User", login="Legacy-CI[BOT]")
    assert not is_bot_account(type_name="User", login="robotina")


def test_a_webhook_user_and_a_graphql_actor_are_judged_alike():
    user = GitHubUser(id=1, login="Legacy-CI[BOT]", type="User", avatar_url="")
    actor = Actor(typename="User", login="Legacy-CI[BOT]", avatar_url="", database_id=1)
    assert user.is_bot and actor.is_bot
