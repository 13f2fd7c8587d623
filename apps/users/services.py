"""Writes for accounts: sign-up without telling who has an account, email verification, throttled reset emails.

Sign-up answers the same whether or not the address already has an account ("check your email"): a new address
gets its account and a verification link, a known one gets an email saying someone tried to sign up with it. The
verification link is signed (``django.core.signing``), carries the user and the address, and expires after
``EMAIL_VERIFICATION_MAX_AGE``; an invitation is bound to an address, so only a verified address can accept one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from apps.users.models import User
from apps.users.throttling import account_email_allowed

logger = logging.getLogger(__name__)

VERIFY_SALT = "tformance.users.verify-email"


class VerificationError(Exception):
    """The verification link cannot be used; the message says why, in words for the user."""


@dataclass(frozen=True)
class SignupRequest:
    """The password comes hashed (``make_password``): hashing is slow on purpose, so the caller does it before its
    transaction begins, never while holding the database's write lock (SQLite has one, taken when a transaction
    begins)."""

    email: str
    password_hash: str

    @classmethod
    def hashing(cls, *, email: str, password: str) -> SignupRequest:
        return cls(email=email, password_hash=make_password(password))


def email_verification_link(*, user: User, base_url: str) -> str:
    token = signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=VERIFY_SALT)
    return base_url + reverse("users:verify_email", kwargs={"token": token})


def email_verification_send(*, user: User, base_url: str) -> bool:
    """Email the verification link (at most ``ACCOUNT_EMAILS_PER_ADDRESS`` an hour); returns whether it was sent."""
    if not account_email_allowed(purpose="verify", email=user.email):
        return False
    days = settings.EMAIL_VERIFICATION_MAX_AGE.days
    send_mail(
        subject="Verify your email address for tformance",
        message=(
            f"Open this link to verify {user.email} for tformance:\n\n"
            f"{email_verification_link(user=user, base_url=base_url)}\n\n"
            f"The link works for {days} days. If you did not sign up, ignore this email.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


def signup_request(*, request: SignupRequest, base_url: str) -> User | None:
    """Create the account and send the verification link; or, when the address already has an account, email its
    owner instead. Returns the new user, or None (the caller answers the same either way)."""
    email = User.objects.normalize_email(request.email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:  # the password was hashed all the same, so timing does not tell either
        if account_email_allowed(purpose="signup-existing", email=email):
            send_mail(
                subject="Someone tried to sign up to tformance with your address",
                message=(
                    f"Someone (maybe you) tried to create a tformance account for {email}, which already has one.\n\n"
                    f"Log in: {base_url}{reverse('users:login')}\n"
                    f"Forgot your password? {base_url}{reverse('users:password_reset')}\n\n"
                    "If it was not you, you can ignore this email: nothing was changed.\n"
                ),
                from_email=None,
                recipient_list=[existing.email],
            )
        return None
    user = User(username=email, email=email, password=request.password_hash)
    user.save()
    email_verification_send(user=user, base_url=base_url)
    return user


@dataclass(frozen=True)
class Verification:
    user: User
    first_use: bool  # the link verified the address just now
    password_cleared: bool = False  # the registration's password and sessions ended: the verifier chooses a password


def email_verification_user(*, token: str) -> User:
    """The account a verification link is for (what its page names before anyone presses Verify); refuses an
    expired, forged or outdated link."""
    try:
        value = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise VerificationError("This verification link has expired. Log in and ask for a new one.") from None
    except signing.BadSignature:
        raise VerificationError("This verification link is not valid.") from None
    user_pk = value.get("u") if isinstance(value, dict) else None
    user = User.objects.filter(pk=user_pk).first() if isinstance(user_pk, int) else None
    if user is None or user.email.lower() != value.get("e"):
        raise VerificationError("This verification link is for an address that is no longer on the account.")
    return user


def email_verify(*, token: str, by_registrant: bool) -> Verification:
    """Mark the address of the link verified (idempotent).

    Whoever registered an address need not own it: someone can sign up with another person's address, keep a
    session, and wait for the owner to verify it and join a team (pre-hijacking). So unless the verifier is the
    registrant (the browser that signed up, or one signed in to the account), verifying ends the registration: its
    password becomes unusable, which also ends every session it holds (Django checks each session against the
    password hash), and the owner of the address chooses the password next."""
    user = email_verification_user(token=token)
    if user.email_verified_at is not None:
        return Verification(user, first_use=False)
    user.email_verified_at = timezone.now()
    fields = ["email_verified_at"]
    if not by_registrant:
        user.set_unusable_password()
        fields.append("password")
    user.save(update_fields=fields)
    logger.info("user %s verified their email address (registration ended: %s)", user.pk, not by_registrant)
    return Verification(user, first_use=True, password_cleared=not by_registrant)


def user_set_first_password(*, user: User, password: str) -> User:
    """The owner of a just-verified address chooses the account's password (it had none: see ``email_verify``)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
