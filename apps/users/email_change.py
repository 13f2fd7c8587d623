"""Changing a logged-in user's email address: the new address proves itself before it replaces the old one.

The change is asked for with the current password (a borrowed, unlocked session cannot move the account to another
inbox) and sent as a signed link to the *new* address; only its owner, signed in to the same account, completes it
(a POST, so a mail scanner's GET does nothing). The link names the account, the old and the new address, and stops
working once the account's address is no longer the old one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from apps.users.models import User
from apps.users.throttling import account_email_allowed

logger = logging.getLogger(__name__)

CHANGE_SALT = "tformance.users.change-email"


class EmailChangeError(Exception):
    """The link cannot be used; the message says why, in words for the user."""


@dataclass(frozen=True)
class EmailChange:
    link: str
    sent: bool  # False when the address is taken or its hourly limit is reached: the page answers the same


def email_change_request(*, user: User, new_email: str, base_url: str) -> EmailChange:
    """Send the confirmation link to ``new_email``. Whether another account has that address is not told (the page
    answers the same); nothing is sent to it then."""
    new_email = User.objects.normalize_email(new_email).lower()
    token = signing.dumps({"u": user.pk, "from": user.email.lower(), "to": new_email}, salt=CHANGE_SALT)
    link = base_url + reverse("users:email_change_confirm", kwargs={"token": token})
    taken = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists()
    if taken or not account_email_allowed(purpose="change-email", email=new_email):
        return EmailChange(link=link, sent=False)
    days = settings.EMAIL_VERIFICATION_MAX_AGE.days
    send_mail(
        subject="Confirm your new email address for tformance",
        message=(
            f"Open this link, signed in to tformance as {user.email}, to use {new_email} for your account instead:\n\n"
            f"{link}\n\nThe link works for {days} days. If you did not ask for this, ignore this email.\n"
        ),
        from_email=None,
        recipient_list=[new_email],
    )
    return EmailChange(link=link, sent=True)


def email_change_target(*, token: str, user: User) -> str:
    """The new address a link would set on ``user``'s account; refuses a link for another account or an outdated one."""
    try:
        value = signing.loads(token, salt=CHANGE_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise EmailChangeError("This link has expired: ask for the change again.") from None
    except signing.BadSignature:
        raise EmailChangeError("This link is not valid.") from None
    if not isinstance(value, dict) or value.get("u") != user.pk:
        raise EmailChangeError("This link is for another account: log in to the account that asked for it.")
    if user.email.lower() != value.get("from"):
        raise EmailChangeError("This link is outdated: the account's address has changed since.")
    new_email = str(value.get("to"))
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise EmailChangeError("Another account uses this address now.")
    return new_email


def email_change_confirm(*, token: str, user: User) -> User:
    """Set the new, now verified, address on the account."""
    user.email = email_change_target(token=token, user=user)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email", "email_verified_at"])
    logger.info("user %s changed their email address", user.pk)
    return user
