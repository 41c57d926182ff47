import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from directorstudio.querysets import OwnedQuerySet


class SceneState(models.Model):
    """What the continuity engine knows of one scene: where, who, which props, the prompt and tone."""

    # The app numbers scenes itself, so `id` is unique per user, not globally.
    pk = models.CompositePrimaryKey("user_id", "id")
    id = models.IntegerField(help_text="The scene's integer id, chosen by the app.")
    location = models.TextField()
    characters = models.JSONField(default=list, help_text="List of character names.")
    props = models.JSONField(default=list, help_text="List of props.")
    prompt = models.TextField()
    tone = models.TextField(help_text="A mood word or phrase.")
    timestamp = models.DateTimeField(default=timezone.now, db_default=Now())
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "continuity_scene_states"
        ordering = ["user_id", "id"]
        verbose_name = "scene state"
        verbose_name_plural = "scene states"

    def __str__(self) -> str:
        return f"Scene {self.id} at {self.location}"


class ContinuityLog(models.Model):
    """One validation of a scene against the previous one: confidence, issues, pass or fail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    scene_id = models.IntegerField(help_text="The validated scene state's integer id.")
    confidence = models.FloatField(help_text="From 0 to 1; the scene passes at 0.6 or more.")
    issues = models.JSONField(default=list, help_text="List of issue descriptions.")
    passed = models.BooleanField()
    timestamp = models.DateTimeField(default=timezone.now, db_default=Now())
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "continuity_logs"
        ordering = ["-timestamp"]
        verbose_name = "continuity log"
        verbose_name_plural = "continuity logs"
        indexes = [
            models.Index(fields=["user_id", "-timestamp"], name="continuity_logs_user_time_idx"),
            models.Index(fields=["user_id", "scene_id"], name="continuity_logs_user_scene_idx"),
            models.Index(fields=["timestamp"], name="continuity_logs_timestamp_idx"),
            # The admin's search by scene, newest first.
            models.Index(fields=["scene_id", "-timestamp"], name="continuity_logs_scene_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="continuity_logs_confidence_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Scene {self.scene_id}: {self.confidence:.2f}"


class Telemetry(models.Model):
    """How often one prompt element (a prop or character) showed up in a user's generated clips."""

    # One row per user and element: the table has no id column, so the pair is the key.
    pk = models.CompositePrimaryKey("user_id", "element")
    element = models.TextField()
    attempts = models.IntegerField(default=0)
    successes = models.IntegerField(default=0)
    rate = models.FloatField(default=0, help_text="successes / attempts")
    timestamp = models.DateTimeField(default=timezone.now, db_default=Now())
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "continuity_telemetry"
        ordering = ["user_id", "element"]
        verbose_name = "telemetry row"
        verbose_name_plural = "telemetry"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempts__gte=0, successes__gte=0, successes__lte=models.F("attempts")),
                name="continuity_telemetry_counts_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=1), name="continuity_telemetry_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.element}: {self.successes}/{self.attempts}"


class DailyAnalytics(models.Model):
    """Continuity validations per user and day: counts and confidence statistics (a view)."""

    # Views are read-only; the key only identifies a row, so its parts are declared NOT NULL
    # here even though a view column is always nullable in PostgreSQL.

    pk = models.CompositePrimaryKey("user_id", "validation_date")
    user_id = models.UUIDField()
    validation_date = models.DateTimeField()
    total_scenes = models.BigIntegerField(null=True)
    avg_confidence = models.FloatField(null=True)
    scenes_passed = models.BigIntegerField(null=True)
    scenes_failed = models.BigIntegerField(null=True)
    min_confidence = models.FloatField(null=True)
    max_confidence = models.FloatField(null=True)
    confidence_stddev = models.FloatField(null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "continuity_daily_analytics"
        ordering = ["-validation_date"]
        verbose_name = "daily analytics"
        verbose_name_plural = "daily analytics"

    def __str__(self) -> str:
        return f"{self.validation_date:%Y-%m-%d}: {self.total_scenes} scenes"


class RecentValidation(models.Model):
    """Continuity validations of the last seven days with their issue count (a view)."""

    # Views are read-only; the key only identifies a row, so its parts are declared NOT NULL
    # here even though a view column is always nullable in PostgreSQL.

    pk = models.CompositePrimaryKey("user_id", "scene_id", "timestamp")
    user_id = models.UUIDField()
    scene_id = models.IntegerField()
    confidence = models.FloatField(null=True)
    passed = models.BooleanField(null=True)
    issue_count = models.IntegerField(null=True)
    timestamp = models.DateTimeField()

    objects = OwnedQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "continuity_recent_validations"
        ordering = ["-timestamp"]
        verbose_name = "recent validation"
        verbose_name_plural = "recent validations"

    def __str__(self) -> str:
        return f"Scene {self.scene_id}: {self.confidence}"


class TelemetryPerformance(models.Model):
    """Telemetry with a performance category from its rate: excellent, good or poor (a view)."""

    # Views are read-only; the key only identifies a row, so its parts are declared NOT NULL
    # here even though a view column is always nullable in PostgreSQL.

    pk = models.CompositePrimaryKey("user_id", "element")
    user_id = models.UUIDField()
    element = models.TextField()
    attempts = models.IntegerField(null=True)
    successes = models.IntegerField(null=True)
    rate = models.FloatField(null=True)
    performance_category = models.TextField(null=True)
    last_updated = models.DateTimeField(null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "continuity_telemetry_performance"
        ordering = ["user_id", "element"]
        verbose_name = "telemetry performance"
        verbose_name_plural = "telemetry performance"

    def __str__(self) -> str:
        return f"{self.element}: {self.performance_category}"


class SceneLink(models.Model):
    """Which scene state a scene draft's continuity is kept in: the server's own link, not part of the app's schema.

    A scene draft (a UUID on a project's timeline) and a scene state (the app's integer scene
    number) are numbered independently; the link survives reordering the timeline.
    """

    scene_draft = models.OneToOneField(
        "clips.SceneDraft", on_delete=models.CASCADE, primary_key=True, db_column="scene_draft_id"
    )
    user_id = models.UUIDField(help_text="Supabase auth user id of the owner.")
    scene_state_id = models.IntegerField(help_text="The linked scene state's id among the user's scene states.")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    objects = OwnedQuerySet.as_manager()

    class Meta:
        db_table = "continuity_scene_links"
        verbose_name = "scene link"
        verbose_name_plural = "scene links"
        constraints = [
            models.UniqueConstraint(fields=["user_id", "scene_state_id"], name="continuity_scene_links_state_unique"),
        ]

    def __str__(self) -> str:
        return f"Scene draft {self.scene_draft_id} → scene {self.scene_state_id}"
