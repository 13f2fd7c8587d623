"""Users sign in with their email address; there is no separate user name."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class EmailUserManager(UserManager["User"]):
    """Creates users keyed by email; ``username`` mirrors the email so Django's admin keeps working."""

    def _create_user(self, username: str | None, email: str | None, password: str | None, **extra: Any) -> User:
        email = self.normalize_email(email or username or "")
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(username=email, email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra)

    def create_superuser(  # type: ignore[override]
        self, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(None, email, password, **extra)


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner of the address opened the emailed verification link."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = self.email
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None
