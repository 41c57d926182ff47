"""Writes for the demo: `seed_demo_data` fills a fresh database with believable writers and their work."""

import hashlib
import pathlib
import random
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from clips.downloads import UPLOAD, clip_download_url, clip_file_name, clip_files_save, stored_file_save
from clips.models import ClipJob, ClipJobStatus, SceneClipJob, SceneDraft, VideoUpload
from clips.providers.base import GeneratedClip
from clips.providers.local import LocalClipProvider
from continuity import engine
from continuity.models import ContinuityLog, SceneLink, SceneState, Telemetry
from credits.models import CreditsLedger, MovementReason
from credits.services import credits_first_clip_grant, credits_grant, credits_spend_for_clip_job, ledger_register
from directorstudio.accounts.models import User
from directorstudio.demo.stories import WRITERS, Scene, Story, Writer
from screenplays.models import RevisionSource, Screenplay, ScreenplayRevision, ScreenplaySection
from screenplays.services import screenplay_revision_page_count

ADMIN_EMAIL = "admin@directorstudio.local"
WRITER_EMAIL = WRITERS[0].email
DEFAULT_PASSWORD = "directorstudio"
DEFAULT_SEED = 2025

CREDIT_PACKS = (25, 70, 150, 350)
STATUS_WEIGHTS = {
    ClipJobStatus.COMPLETED: 65,
    ClipJobStatus.FAILED: 8,
    ClipJobStatus.CANCELLED: 4,
    ClipJobStatus.PROCESSING: 4,
    ClipJobStatus.QUEUED: 4,
}
DEMO_CLIP_SECONDS = 4
PAID_STATUSES = (ClipJobStatus.QUEUED, ClipJobStatus.PROCESSING, ClipJobStatus.COMPLETED)
CLIP_FAILURES = (
    "Pollo AI task failed: the prompt was flagged by content moderation.",
    "Pollo AI task timed out after 10 minutes.",
    "Pollo AI answered 503 Service Unavailable.",
)
SEEDED_MODELS: tuple[type[models.Model], ...] = (
    User,
    Screenplay,
    ScreenplaySection,
    ScreenplayRevision,
    SceneDraft,
    ClipJob,
    SceneClipJob,
    VideoUpload,
    CreditsLedger,
    SceneState,
    SceneLink,
    ContinuityLog,
    Telemetry,
)


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo_data` did: whether it created the data, the two logins, and each table's row count."""

    created: bool
    admin_email: str
    writer_email: str
    # None when the demo logins exist but no longer open with the password given.
    password: str | None
    counts: dict[str, int]


def seed_demo_data(
    *, password: str = DEFAULT_PASSWORD, seed: int = DEFAULT_SEED, now: datetime | None = None
) -> DemoSummary:
    """Fill the database with demo users and their data, unless the demo admin already exists."""
    with transaction.atomic():
        admin = User.objects.filter(email=ADMIN_EMAIL).first()
        created = admin is None
        if created:
            rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
            _DemoBuilder(rng, now or timezone.now()).build(make_password(password))
        elif not admin.check_password(password):
            password = None
        counts = {model._meta.db_table: model.objects.count() for model in SEEDED_MODELS}
    return DemoSummary(created, ADMIN_EMAIL, WRITER_EMAIL, password, counts)


def _parse_heading(heading: str) -> tuple[str, str, str]:
    """Split a scene heading into scene type (INT, EXT, INT/EXT), location and time of day."""
    prefix, rest = heading.split(" ", 1)
    location, _, time_of_day = rest.rpartition(" - ")
    scene_type = prefix.upper().replace(".", "").replace("I/E", "INT/EXT")
    return scene_type, " ".join(word[:1] + word[1:].lower() for word in location.split(" ")), time_of_day.lower()


@dataclass(frozen=True)
class _DemoLedger:
    """A writer's credit history, written through the credits services once the clip jobs exist."""

    id: uuid.UUID
    user_id: uuid.UUID
    user_key: str
    packs: list[int]
    paid_jobs: list[ClipJob]

    def write(self) -> None:
        """The free first clip, the packs bought, and one credit spent per job not refunded."""
        ledger, _ = ledger_register(user_id=self.user_id, user_key=self.user_key, ledger_id=self.id)
        credits_first_clip_grant(ledger_id=ledger.id)
        for pack in self.packs:
            credits_grant(
                ledger_id=ledger.id, amount=pack, note=f"Demo pack of {pack} clips", reason=MovementReason.PURCHASE
            )
        for job in self.paid_jobs:
            credits_spend_for_clip_job(user_id=self.user_id, user_key=self.user_key, clip_job_id=job.id)


@dataclass
class _DemoBuilder:
    """Collects every demo row in memory, then saves each table with one bulk insert."""

    rng: random.Random
    now: datetime
    rows: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    ledgers: list[_DemoLedger] = field(default_factory=list)
    # Completed jobs and the prompt of the clip each plays (see `_plan_clips`).
    clips: list[tuple[ClipJob, str]] = field(default_factory=list)
    # The scene draft each clip job was made for, and the uploads that get a real video file.
    job_scenes: dict[uuid.UUID, SceneDraft] = field(default_factory=dict)
    uploads: list[VideoUpload] = field(default_factory=list)

    def build(self, password_hash: str) -> None:
        self._add(User, self._user(ADMIN_EMAIL, password_hash, is_staff=True, is_superuser=True))
        for writer in WRITERS:
            self._add_writer(writer, password_hash if writer.email == WRITER_EMAIL else None)
        for model in SEEDED_MODELS:
            model.objects.bulk_create(self.rows.get(model, []))
        for ledger in self.ledgers:
            ledger.write()
        for revision in self.rows[ScreenplayRevision]:
            screenplay_revision_page_count(screenplay_id=revision.screenplay_id, version=revision.version)
        for job, prompt in self.clips:
            clip = _demo_clip(prompt)
            clip_files_save(clip_job_id=job.id, video_path=clip.video_path, poster_path=clip.poster_path)
        # A writer's footage is one of the clips already rendered, so uploads play without rendering more.
        footage = {job.user_id: prompt for job, prompt in reversed(self.clips)}
        for upload in self.uploads:
            clip = _demo_clip(footage.get(upload.user_id) or self.clips[0][1])
            stored_file_save(name=upload.filename, path=clip.video_path)

    def _add(self, model: type[models.Model], *rows: models.Model) -> None:
        self.rows.setdefault(model, []).extend(rows)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _ago(self, low_days: float, high_days: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low_days, high_days))

    def _user(self, email: str, password_hash: str | None, **flags: bool) -> User:
        user = User(id=self._uuid(), email=email, date_joined=self._ago(45, 60), **flags)
        if password_hash:
            user.password = password_hash
        else:
            # The other writers sign in from the app with Supabase tokens only.
            user.set_unusable_password()
        return user

    def _add_writer(self, writer: Writer, password_hash: str | None) -> None:
        user = self._user(writer.email, password_hash)
        self._add(User, user)
        apple_identity = (
            f"{self.rng.randrange(10**6):06d}.{self.rng.getrandbits(128):032x}.{self.rng.randrange(10**4):04d}"
        )
        user_key = hashlib.sha256(apple_identity.encode()).hexdigest()
        next_scene_id = 1
        jobs: list[ClipJob] = []
        elements: set[str] = set()
        for story in writer.stories:
            session_at = self._ago(0.5, 9.5)
            drafts = self._add_project(user, writer, story, session_at)
            self._add_continuity(user, story, session_at, next_scene_id)
            # The timeline and the continuity page find each scene's state through this link.
            self._add(
                SceneLink,
                *(
                    SceneLink(scene_draft=draft, user_id=user.id, scene_state_id=next_scene_id + index)
                    for index, draft in enumerate(drafts)
                ),
            )
            next_scene_id += len(story.scenes)
            jobs += [self._clip_job(user, user_key, draft) for draft in drafts]
            elements.update(name for scene in story.scenes for name in (*scene.characters, *scene.props))
        # The writer a newcomer signs in as shows every clip job status.
        jobs = self._give_statuses(jobs, every_status=writer.email == WRITER_EMAIL)
        self._plan_clips(jobs, own_clip_each=writer.email == WRITER_EMAIL)
        self._add(ClipJob, *jobs)
        self._add(SceneClipJob, *(SceneClipJob(clip_job=job, scene_draft=self.job_scenes[job.id]) for job in jobs))
        self._add_ledger(user, user_key, [job for job in jobs if job.status in PAID_STATUSES])
        self._add_telemetry(user, sorted(elements))

    def _add_project(self, user: User, writer: Writer, story: Story, session_at: datetime) -> list[SceneDraft]:
        version = self.rng.choice((1, 1, 2, 3, 5))
        created_at = session_at - timedelta(days=self.rng.uniform(3, 30))
        screenplay = Screenplay(
            id=self._uuid(),
            user_id=user.id,
            title=story.title,
            content=_fountain(story, writer.name, created_at),
            version=version,
            created_at=created_at,
            updated_at=session_at - timedelta(hours=self.rng.uniform(1, 6)) if version > 1 else created_at,
        )
        self._add(Screenplay, screenplay)
        self._add(
            ScreenplayRevision,
            ScreenplayRevision(
                screenplay=screenplay,
                version=version,
                title=screenplay.title,
                content=screenplay.content,
                source=RevisionSource.APP,
                saved_by=user.id,
                created_at=screenplay.updated_at,
            ),
        )
        drafts = []
        for index, scene in enumerate(story.scenes):
            self._add(
                ScreenplaySection,
                ScreenplaySection(
                    id=self._uuid(),
                    screenplay=screenplay,
                    heading=scene.heading,
                    content=scene.body,
                    order_index=index,
                    created_at=screenplay.updated_at,
                ),
            )
            scene_type, _, _ = _parse_heading(scene.heading)
            shot_type = "wide" if index == 0 else self.rng.choice(("wide", "medium", "close-up"))
            draft_at = session_at + timedelta(minutes=index)
            drafts.append(
                SceneDraft(
                    id=self._uuid(),
                    user_id=user.id,
                    project_id=str(screenplay.id),
                    order_index=index,
                    prompt_text=_visual_prompt(scene, shot_type),
                    duration=self.rng.choice((4.0, 4.0, 4.0, 3.5, 5.0)),
                    scene_type=scene_type,
                    shot_type=shot_type,
                    created_at=draft_at,
                    updated_at=draft_at + timedelta(minutes=self.rng.uniform(0, 90)),
                )
            )
        self._add(SceneDraft, *drafts)
        for order_index, draft in enumerate(self.rng.sample(drafts, k=2)):
            upload_id = self._uuid()
            upload = VideoUpload(
                id=upload_id,
                user_id=user.id,
                project_id=draft.project_id,
                order_index=order_index,
                filename=clip_file_name(clip_job_id=upload_id, kind=UPLOAD),
                uploaded_at=min(self.now, draft.updated_at + timedelta(hours=self.rng.uniform(1, 12))),
            )
            self._add(VideoUpload, upload)
            self.uploads.append(upload)
        return drafts

    def _add_continuity(self, user: User, story: Story, session_at: datetime, first_id: int) -> None:
        # Each project is validated in one or two writing sessions, so the daily views show several days.
        sessions = [session_at]
        if self.rng.random() < 0.5 and session_at + timedelta(days=2) < self.now:
            sessions.append(session_at + timedelta(days=self.rng.uniform(1, 2)))
        previous: engine.SceneState | None = None
        for index, scene in enumerate(story.scenes):
            _, location, _ = _parse_heading(scene.heading)
            state_at = session_at + timedelta(minutes=4 * index)
            state = SceneState(
                id=first_id + index,
                user_id=user.id,
                location=location,
                characters=list(scene.characters),
                props=list(scene.props),
                prompt=_visual_prompt(scene, "medium"),
                tone=scene.tone,
                timestamp=state_at,
                created_at=state_at,
                updated_at=sessions[-1] + timedelta(minutes=4 * index),
            )
            self._add(SceneState, state)
            scene_state = engine.SceneState(
                id=state.id, location=location, characters=scene.characters, props=scene.props, tone=scene.tone
            )
            validation = engine.validate(previous, scene_state)
            for validated_at in sessions:
                at = validated_at + timedelta(minutes=4 * index, seconds=30)
                self._add(
                    ContinuityLog,
                    ContinuityLog(
                        id=self._uuid(),
                        user_id=user.id,
                        scene_id=state.id,
                        confidence=validation.confidence,
                        issues=[issue.as_json() for issue in validation.issues],
                        passed=validation.passed,
                        timestamp=at,
                        created_at=at,
                    ),
                )
            previous = scene_state

    def _clip_job(self, user: User, user_key: str, draft: SceneDraft) -> ClipJob:
        job = ClipJob(
            id=self._uuid(),
            user_id=user.id,
            user_key=user_key,
            prompt=draft.prompt_text,
            submitted_at=draft.updated_at + timedelta(minutes=self.rng.uniform(1, 30)),
        )
        self.job_scenes[job.id] = draft
        return job

    def _give_statuses(self, jobs: list[ClipJob], *, every_status: bool) -> list[ClipJob]:
        """Give a writer's clip jobs their statuses, mostly completed, and drop those of scenes never sent."""
        statuses: list[str | None] = list(ClipJobStatus.values) if every_status else []
        statuses += self.rng.choices(
            [*STATUS_WEIGHTS, None], weights=[*STATUS_WEIGHTS.values(), 15], k=len(jobs) - len(statuses)
        )
        self.rng.shuffle(statuses)
        sent = []
        for job, status in zip(jobs, statuses, strict=True):
            if status is None:
                continue
            job.status = status
            if status in (ClipJobStatus.QUEUED, ClipJobStatus.PROCESSING):
                # Unfinished jobs are the ones the video service is still working on right now.
                job.submitted_at = self.now - timedelta(minutes=self.rng.uniform(1, 20))
            elif status == ClipJobStatus.COMPLETED:
                job.completed_at = job.submitted_at + timedelta(seconds=self.rng.uniform(40, 240))
                job.download_url = clip_download_url(clip_job_id=job.id, user_id=job.user_id)
            elif status == ClipJobStatus.FAILED:
                job.completed_at = job.submitted_at + timedelta(seconds=self.rng.uniform(30, 600))
                job.error_message = self.rng.choice(CLIP_FAILURES)
            sent.append(job)
        return sent

    def _plan_clips(self, jobs: list[ClipJob], *, own_clip_each: bool) -> None:
        """Choose the clip each completed job plays: its own prompt's, or (to seed quickly) the writer's first one."""
        # Rendering takes about a second a clip: the writer a newcomer signs in as gets one per job,
        # the other writers one each, shared by their completed jobs.
        completed = [job for job in jobs if job.status == ClipJobStatus.COMPLETED]
        for job in completed:
            self.clips.append((job, job.prompt if own_clip_each else completed[0].prompt))

    def _add_ledger(self, user: User, user_key: str, paid_jobs: list[ClipJob]) -> None:
        packs = self.rng.sample(CREDIT_PACKS, k=self.rng.choice((1, 1, 2)))
        self.ledgers.append(_DemoLedger(self._uuid(), user.id, user_key, packs, paid_jobs))

    def _add_telemetry(self, user: User, elements: list[str]) -> None:
        for index, element in enumerate(self.rng.sample(elements, k=min(len(elements), 9))):
            category = engine.PERFORMANCE_CATEGORIES[index % len(engine.PERFORMANCE_CATEGORIES)]
            attempts = self.rng.randint(5, 30)
            successes = self.rng.choice(
                [n for n in range(attempts + 1) if engine.performance_category(n / attempts) == category]
            )
            updated_at = self._ago(0.1, 9)
            self._add(
                Telemetry,
                Telemetry(
                    user_id=user.id,
                    element=element,
                    attempts=attempts,
                    successes=successes,
                    rate=successes / attempts,
                    timestamp=updated_at,
                    created_at=updated_at - timedelta(days=self.rng.uniform(1, 20)),
                    updated_at=updated_at,
                ),
            )


@cache
def _clip_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder, removed when the process ends, for the demo clips rendered by this process."""
    return tempfile.TemporaryDirectory(prefix="directorstudio-demo-clips-")


@cache
def _demo_clip(prompt: str) -> GeneratedClip:
    """A real MP4 and poster of `prompt` from the local provider, rendered once per process and prompt."""
    workdir = pathlib.Path(_clip_folder().name) / hashlib.sha256(prompt.encode()).hexdigest()[:24]
    return LocalClipProvider().generate(prompt=prompt, seconds=DEMO_CLIP_SECONDS, workdir=workdir)


def _fountain(story: Story, author: str, draft_date: datetime) -> str:
    """Write a story as a Fountain document: a title page, then each scene under its heading."""
    title_page = (
        f"Title: {story.title}\nCredit: Written by\nAuthor: {author}\n"
        f"Draft date: {draft_date:%B} {draft_date.day}, {draft_date.year}\n"
    )
    scenes = [f"{scene.heading}\n\n{scene.body}\n" for scene in story.scenes]
    return "\n".join([title_page, *scenes])


def _visual_prompt(scene: Scene, shot_type: str) -> str:
    """Describe a scene for the video service: shot, place and time, the opening action, cast, props and mood."""
    scene_type, location, time_of_day = _parse_heading(scene.heading)
    setting = {"INT": "interior", "EXT": "exterior"}.get(scene_type, "interior and exterior")
    opening_action = scene.body.split("\n\n", 1)[0].replace("\n", " ")
    return (
        f"{shot_type.capitalize()} shot, {setting}, {location}, {time_of_day}. {opening_action} "
        f"Featuring {', '.join(scene.characters)}; visible: {', '.join(scene.props)}. "
        f"Mood: {scene.tone}. Cinematic, 16:9."
    )
