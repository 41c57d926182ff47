import uuid

from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone

from directorstudio.querysets import OwnedQuerySet, SectionQuerySet


class Screenplay(models.Model):
    """A writer's screenplay in Fountain markup; `version` grows by one with every saved change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    title = models.TextField()
    content = models.TextField(blank=True, help_text="The whole screenplay in Fountain.")
    version = models.IntegerField(default=1, db_default=1)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "screenplays"
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["user_id", "-updated_at"], name="screenplays_user_updated_idx"),
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="screenplays_title_trgm_idx"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(version__gte=1), name="screenplays_version_positive")]

    def __str__(self) -> str:
        return self.title


class ScreenplaySection(models.Model):
    """One part of a screenplay (usually a scene), in `order_index` order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    screenplay = models.ForeignKey(
        Screenplay,
        on_delete=models.CASCADE,
        related_name="sections",
        db_column="screenplay_id",
        db_index=False,  # covered by sections_screenplay_order_idx
    )
    heading = models.TextField()
    content = models.TextField(blank=True)
    order_index = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = SectionQuerySet.as_manager()

    class Meta:
        db_table = "screenplay_sections"
        ordering = ["screenplay_id", "order_index"]
        indexes = [
            models.Index(fields=["screenplay", "order_index"], name="sections_screenplay_order_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(order_index__gte=0), name="sections_order_index_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.heading


class RevisionSource(models.TextChoices):
    """Which client saved a screenplay version."""

    APP = "app"
    EDITOR = "editor"
    ADMIN = "admin"
    RESTORE = "restore"
    IMPORT = "import"


class RevisionQuerySet(OwnedQuerySet):
    """Screenplay revisions, owned through their screenplay."""

    owner_lookup = "screenplay__user_id"


class ScreenplayRevision(models.Model):
    """One saved version of a screenplay, kept for its history (a table of the server's own).

    Written by the service that bumps `screenplays.version`, whichever client saved. `page_count`
    caches the page count of the version's PDF once it has been rendered. Autosaves are thinned
    by `screenplay_revisions_thin`; every other version is kept.
    """

    Source = RevisionSource

    screenplay = models.ForeignKey(
        Screenplay,
        on_delete=models.CASCADE,
        related_name="revisions",
        db_index=False,  # covered by screenplay_revisions_version_unique
    )
    version = models.IntegerField()
    title = models.TextField()
    content = models.TextField(blank=True)
    source = models.TextField(choices=Source.choices, default=Source.APP)
    saved_by = models.UUIDField(null=True, blank=True, help_text="The user who saved this version, if known.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    page_count = models.IntegerField(null=True, blank=True, help_text="Pages of this version's PDF, once rendered.")
    autosave = models.BooleanField(
        default=False, db_default=False, help_text="Saved without being asked to: thinned as it ages."
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        db_table = "screenplay_revisions"
        ordering = ["screenplay_id", "-version"]
        indexes = [
            # The thinning's "screenplays autosaved lately" (screenplays/services.py).
            models.Index(
                fields=["created_at", "screenplay"],
                condition=models.Q(autosave=True),
                name="revisions_autosave_idx",
            ),
        ]
        constraints = [
            # Its index serves "a screenplay's versions, newest first" too, read backwards.
            models.UniqueConstraint(fields=["screenplay", "version"], name="screenplay_revisions_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="screenplay_revisions_version_positive"),
            models.CheckConstraint(
                condition=models.Q(source__in=RevisionSource.values), name="screenplay_revisions_source_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
