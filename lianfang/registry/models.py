"""The household registry (户 and 居民): who lives where, and who needs particular care."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from lianfang.core.models import SealedIdMixin, SealedPhoneMixin
from lianfang.core.scoping import ScopedManager


class Household(SealedPhoneMixin, models.Model):
    """People living together at one address (户), with a contact phone (masked by default).

    ``path`` is the code of the most specific division the household is in (unit, building or
    compound), so every scope check is one indexed range filter. ``community`` and ``compound``
    are denormalised foreign keys for grouping; ``district`` is kept for sharding.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "pk"

    district = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "divisions.Division", verbose_name=_("community/village"), on_delete=models.PROTECT, related_name="+"
    )
    compound = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("compound/village group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    building = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "divisions.Division",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    room = models.CharField(_("room / house number"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["path", "room", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["path", "room"], condition=~Q(room=""), name="household_unique_room_per_node"
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def audit_division_code(self) -> str:
        return self.path


class DocumentType(models.TextChoices):
    """Identity documents a resident may hold (证件类型)."""

    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID card")
    OTHER = "other", _("Other document")
    NONE = "none", _("No document (young child, with guardian)")


class ResidenceStatus(models.TextChoices):
    """Where the person stands relative to this address (居住状态)."""

    REGISTERED = "registered", _("Registered resident (户籍)")
    INFLOW = "inflow", _("Inflow resident (流入)")
    AWAY = "away", _("Temporarily away (外出)")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


# Vulnerability flags (重点人群), in display order: (field name, label).
VULNERABILITY_FLAGS = [
    ("elderly_alone", _("Elderly living alone")),
    ("no_smartphone", _("No smartphone")),
    ("chronic_illness", _("Chronic illness with medicines")),
    ("dialysis", _("Dialysis")),
    ("pregnant", _("Pregnancy")),
    ("bedridden", _("Bedridden")),
    ("disabled", _("Disability")),
    ("infant", _("Infant")),
]


class Resident(SealedIdMixin, SealedPhoneMixin, models.Model):
    """A person living in a household (居民), registered or not: place of residence counts.

    ``path`` repeats the household's path (kept in step by registry.services) so scoping is one
    filter. ``id_*`` hold the document number sealed (core.pii); for a resident identity card the
    number is validated per GB 11643-1999 and ``sex``/``birth_date`` must agree with it. A child
    without a document has ``document_type="none"`` and a ``guardian``. ``name_initials`` are the
    pinyin initials (pypinyin) for search.
    """

    SCOPE_PATH_FIELD = "path"
    SCOPE_HOUSEHOLD_FIELD = "household"

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="residents"
    )
    path = models.CharField(_("division code"), max_length=20, db_index=True)
    name = models.CharField(_("name"), max_length=60, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=30, db_index=True, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, default=DocumentType.RESIDENT_ID
    )
    guardian = models.ForeignKey(
        "self", verbose_name=_("guardian"), null=True, blank=True, on_delete=models.PROTECT, related_name="wards"
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    residence_status = models.CharField(
        _("residence status"),
        max_length=12,
        choices=ResidenceStatus.choices,
        default=ResidenceStatus.REGISTERED,
        db_index=True,
    )
    registration_address = models.CharField(_("household-registration address (户籍地址)"), max_length=200, blank=True)
    elderly_alone = models.BooleanField(_("elderly living alone"), default=False)
    no_smartphone = models.BooleanField(_("no smartphone"), default=False)
    chronic_illness = models.BooleanField(_("chronic illness with medicines"), default=False)
    dialysis = models.BooleanField(_("dialysis"), default=False)
    pregnant = models.BooleanField(_("pregnancy"), default=False)
    bedridden = models.BooleanField(_("bedridden"), default=False)
    disabled = models.BooleanField(_("disability"), default=False)
    infant = models.BooleanField(_("infant"), default=False)
    is_deceased = models.BooleanField(_("deceased"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["path", "household_id", "id"]
        constraints = [
            # One person, one record: an ID already living elsewhere is a conflict, never a duplicate.
            models.UniqueConstraint(fields=["id_hash"], condition=~Q(id_hash=""), name="resident_unique_document"),
            models.CheckConstraint(
                condition=~Q(document_type="none") | Q(guardian__isnull=False), name="resident_no_document_has_guardian"
            ),
            models.CheckConstraint(
                condition=Q(document_type="none") | ~Q(id_hash=""), name="resident_document_has_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_division_code(self) -> str:
        return self.path

    @property
    def flags(self) -> list[str]:
        """Labels of the vulnerability flags set on this resident."""
        return [str(label) for name, label in VULNERABILITY_FLAGS if getattr(self, name)]

    def age_on(self, day) -> int:
        """Whole years on ``day``."""
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class ImportStatus(models.TextChoices):
    """Where a registry import stands (导入状态)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    INVALID = "invalid", _("Has errors, nothing written")
    VALIDATED = "validated", _("Checked (dry run), nothing written")
    COMMITTED = "committed", _("Imported")
    UNCHANGED = "unchanged", _("No changes")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    FAILED = "failed", _("Failed")


class ImportKind(models.TextChoices):
    """What a file holds (导入类型)."""

    REGISTRY = "registry", _("Households and residents")
    WORKERS = "workers", _("Workers and responsibility assignments")


IMPORT_PHASES = {"read": _("reading"), "validate": _("checking"), "write": _("writing"), "done": _("done")}


class ImportBatch(models.Model):
    """One import of a roster file (导入批次): who, when, which file, into which division, what it did.

    The division is a community, or a street/district when the file has a community column.

    ``file_sha256`` identifies the file's bytes; ``counts`` holds the row and change counts
    (``rows``, ``households_created``, ``households_updated``, ``residents_created``,
    ``residents_updated``, ``unchanged``, ``errors``, ``warnings``); ``created_ids`` holds the ids
    of rows created by this batch as ``{"household": [[first, last], ...], "resident": [...]}``
    (inclusive ranges) so that :func:`lianfang.registry.importing.batches.import_batch_rollback` can undo it;
    rows it updated are in :class:`ImportChange`. ``issues`` keeps the first problems for display;
    the full report is the ``report`` file (XLSX: original rows plus an error column).
    """

    SCOPE_PATH_FIELD = "division__code"

    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("imported into"), on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/", blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    file_format = models.CharField(_("file format"), max_length=10, blank=True)
    encoding = models.CharField(_("text encoding"), max_length=20, blank=True)
    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        help_text=_("The uploader's language: the problems and the report are written in it."),
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    kind = models.CharField(_("file contents"), max_length=10, choices=ImportKind.choices, default=ImportKind.REGISTRY)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    issues = models.JSONField(_("first problems"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    report = models.FileField(_("report"), upload_to="imports/reports/", blank=True, max_length=200)
    created_ids = models.JSONField(_("created rows"), default=dict, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("rolled back by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def audit_division_code(self) -> str:
        return self.division.code

    @property
    def progress_percent(self) -> int:
        """Whole percent of rows done (0 when the total is not known yet)."""
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_finished(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def summary(self) -> str:
        """The result in the viewer's language (:func:`import_summary`), else the stored ``message`` as
        a sentence (its first letter capitalised: "Cannot open x.xlsx as xlsx: …", new-user trial 14)."""
        return import_summary(self.status, self.kind, self.counts) or capfirst(self.message)

    @property
    def phase_display(self) -> str:
        """The phase in words: reading, checking, writing (translated)."""
        return str(IMPORT_PHASES.get(self.phase, self.phase))


def import_summary(status: str, kind: str, counts: dict) -> str | None:
    """The one-sentence result of an import in the active language, from its status and ``counts``
    (see :class:`ImportBatch`); None when the sentence cannot be made from them (a file that could not
    be read, a failure: the stored message stands). ``counts["same_file_as"]`` is the id of an earlier
    import of the same file, for ``unchanged``."""
    if not counts:
        return None
    if status == ImportStatus.INVALID and counts.get("errors"):
        n = counts["errors"]
        return ngettext(
            "%(n)d error: nothing was written; fix the file and import it again",
            "%(n)d errors: nothing was written; fix the file and import it again",
            n,
        ) % {"n": n}
    if status == ImportStatus.UNCHANGED:
        n = counts.get("rows", 0)
        text = ngettext(
            "no changes: the %(n)d row is already in the registry",
            "no changes: all %(n)d rows are already in the registry",
            n,
        ) % {"n": n}
        if counts.get("same_file_as"):
            text += " " + gettext("(the same file was imported as #%(id)d)") % {"id": counts["same_file_as"]}
        return text
    if status == ImportStatus.VALIDATED:
        return gettext("checked: the file can be imported (dry run, nothing written)")
    if status in (ImportStatus.COMMITTED, ImportStatus.ROLLED_BACK) and kind == ImportKind.WORKERS:
        return gettext("imported: %(w)d workers and %(a)d responsibility assignments created") % {
            "w": counts.get("workers_created", 0),
            "a": counts.get("assignments_created", 0),
        }
    if status in (ImportStatus.COMMITTED, ImportStatus.ROLLED_BACK):
        return gettext(
            "imported: %(hc)d households and %(rc)d residents created, %(hu)d households and %(ru)d residents updated"
        ) % {
            "hc": counts.get("households_created", 0),
            "rc": counts.get("residents_created", 0),
            "hu": counts.get("households_updated", 0),
            "ru": counts.get("residents_updated", 0),
        }
    return None


class ImportChange(models.Model):
    """The previous values of one row that an import updated (导入变更), so the import can be undone.

    ``table`` is ``household`` or ``resident``; ``before`` maps column names to the values they had
    (bytes as ``{"b64": ...}``, dates and times as ISO strings).
    """

    SCOPE_PATH_FIELD = "batch__division__code"

    batch = models.ForeignKey(ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="changes")
    table = models.CharField(_("table"), max_length=12)
    object_id = models.BigIntegerField(_("row id"))
    before = models.JSONField(_("previous values"), default=dict)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("import change")
        verbose_name_plural = _("import changes")
        indexes = [models.Index(fields=["batch", "table"], name="importchange_batch_table_idx")]

    def __str__(self) -> str:
        return f"{self.table}#{self.object_id}"
