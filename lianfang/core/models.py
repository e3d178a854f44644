"""Core models: the append-only audit log (审计日志)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.scoping import ScopedQuerySet


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit entry."""


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the audit log is append-only")

    def delete(self):
        raise AppendOnlyError("the audit log is append-only")


class AuditEntry(models.Model):
    """One audited event: a write, or a view/export of unmasked personal data.

    ``action`` names what happened (``view_pii``, ``export``, ``create``, ``update``, ``status``,
    ``import``, ``login``...); ``object_type`` is ``app_label.model``; ``division_code`` is the code of
    the division the object belongs to (used for scoping the log itself); ``detail`` is JSON.
    Entries are never updated or deleted (AppendOnlyError); on PostgreSQL a trigger enforces it too.
    """

    SCOPE_PATH_FIELD = "division_code"

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    division_code = models.CharField(_("division code"), max_length=24, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        from lianfang.core.audit_labels import action_label  # noqa: PLC0415

        when = f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}" if self.at else ""  # local, as the lists
        return f"{when} {action_label(self.action)} {self.object_type}#{self.object_id}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only")


class SealedPhoneMixin(models.Model):
    """Abstract: a phone number encrypted at rest (core.pii) with look-up hash, mask and last 4 digits.

    Write through :meth:`set_phone` (takes an already-normalised number); read the plain value with
    :meth:`phone_plain` only after checking the viewer may see it (and audit that view).
    """

    phone_enc = models.BinaryField(_("phone (encrypted)"), blank=True, default=b"", editable=False)
    phone_hash = models.CharField(_("phone look-up hash"), max_length=32, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    phone_last4 = models.CharField(_("phone last 4"), max_length=4, blank=True, db_index=True, editable=False)

    class Meta:
        abstract = True

    def set_phone(self, normalized: str) -> None:
        from lianfang.core import pii  # noqa: PLC0415

        sealed = pii.seal("phone", normalized)
        self.phone_enc, self.phone_hash, self.phone_masked, self.phone_last4 = (
            sealed.ciphertext,
            sealed.hash,
            sealed.masked,
            sealed.last4,
        )

    def phone_plain(self) -> str:
        from lianfang.core import pii  # noqa: PLC0415

        return pii.decrypt(self.phone_enc)


class SealedIdMixin(models.Model):
    """Abstract: an identity-document number encrypted at rest, with look-up hash, mask and last 4."""

    id_enc = models.BinaryField(_("ID number (encrypted)"), blank=True, default=b"", editable=False)
    id_hash = models.CharField(_("ID look-up hash"), max_length=32, blank=True, db_index=True, editable=False)
    id_masked = models.CharField(_("ID number"), max_length=32, blank=True, editable=False)
    id_last4 = models.CharField(_("ID last 4"), max_length=4, blank=True, db_index=True, editable=False)

    class Meta:
        abstract = True

    def set_id_number(self, normalized: str, document_type: str = "resident_id") -> None:
        """Seal ``normalized``; the look-up hash is keyed by ``document_type`` so types never collide."""
        from lianfang.core import pii  # noqa: PLC0415

        sealed = pii.seal("id", normalized)
        if document_type != "resident_id":
            sealed = pii.Sealed(
                sealed.ciphertext, pii.lookup_hash(f"doc:{document_type}", normalized), sealed.masked, sealed.last4
            )
        self.id_enc, self.id_hash, self.id_masked, self.id_last4 = (
            sealed.ciphertext,
            sealed.hash,
            sealed.masked,
            sealed.last4,
        )

    def id_number_plain(self) -> str:
        from lianfang.core import pii  # noqa: PLC0415

        return pii.decrypt(self.id_enc)
