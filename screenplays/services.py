import io
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from procrastinate.contrib.django import app as procrastinate_app
from screenplain.export.fdx import to_fdx
from screenplain.export.pdf import DocTemplate, to_pdf
from screenplain.parsers.fountain import parse

from clips.models import SceneDraft
from directorstudio.errors import Conflict, InvalidInput, NotFound, VersionConflict
from directorstudio.services import row_create_idempotent, row_full_clean
from screenplays.fountain import NotFinalDraft, fdx_to_fountain, parse_title_page, scan_scenes, split_lines, statistics
from screenplays.models import RevisionSource, Screenplay, ScreenplayRevision, ScreenplaySection

TITLE_MAX = 300
PROMPT_MAX = 500
EXPORT_FORMATS = ("pdf", "fdx", "fountain")
IMPORT_SUFFIXES = (".fountain", ".txt", ".fdx")
# The worker's task that counts a saved version's pages (screenplays/tasks.py), named for queued jobs' sake.
PAGE_COUNT_TASK = "screenplays.screenplay_revision_page_count"
REVISIONS_THIN_TASK = "screenplays.screenplay_revisions_thin"
SCREENPLAY_QUEUE = "screenplays"
# The autosaves kept: all of the last hour, then the newest of each 10 minutes for a day, then of each day.
AUTOSAVES_ALL_KEPT = timedelta(hours=1)
AUTOSAVES_TEN_MINUTES_KEPT = timedelta(days=1)
# An autosave's day is complete a day after that day ends, at most two days after the save: the thinning looks
# only at screenplays autosaved within three days, so its work follows recent saves and a worker stopped for a
# day misses nothing.
THINNING_WINDOW = timedelta(days=3)
THINNING_BATCH = 200


@dataclass(frozen=True)
class ExportFile:
    """A screenplay rendered for download: its file name, content type and bytes."""

    filename: str
    content_type: str
    data: bytes


def _sections_derive(*, screenplay: Screenplay) -> None:
    """Make the screenplay's sections its scenes in order; a section whose heading is unchanged keeps its id.

    Headings are matched in order (the k-th "INT. DINER - NIGHT" keeps the k-th such section);
    a bounded number of queries whatever the number of scenes.
    """
    scenes = scan_scenes(screenplay.content)
    existing: dict[str, deque[ScreenplaySection]] = defaultdict(deque)
    for section in ScreenplaySection.objects.filter(screenplay=screenplay).order_by("order_index", "created_at", "id"):
        existing[section.heading].append(section)
    changed, new = [], []
    now = timezone.now()
    for order_index, scene in enumerate(scenes):
        kept = existing[scene.heading].popleft() if existing.get(scene.heading) else None
        if kept is None:
            new.append(
                ScreenplaySection(
                    screenplay=screenplay,
                    heading=scene.heading,
                    content=scene.content,
                    order_index=order_index,
                    created_at=now,
                )
            )
        elif (kept.content, kept.order_index) != (scene.content, order_index):
            kept.content, kept.order_index = scene.content, order_index
            changed.append(kept)
    vanished = [section.pk for sections in existing.values() for section in sections]
    if vanished:
        ScreenplaySection.objects.filter(pk__in=vanished).delete()
    if changed:
        ScreenplaySection.objects.bulk_update(changed, ["content", "order_index"], batch_size=len(changed))
    if new:
        ScreenplaySection.objects.bulk_create(new, batch_size=1000)


def _revision_add(
    *, screenplay: Screenplay, source: str, saved_by: uuid.UUID | None, autosave: bool = False
) -> ScreenplayRevision:
    """Keep the screenplay's current version in its history, and have a worker count its PDF's pages."""
    procrastinate_app.configure_task(name=PAGE_COUNT_TASK, queue=SCREENPLAY_QUEUE).defer(
        screenplay_id=str(screenplay.pk), version=screenplay.version
    )
    revision = ScreenplayRevision.objects.create(
        screenplay=screenplay,
        version=screenplay.version,
        title=screenplay.title,
        content=screenplay.content,
        source=source,
        saved_by=saved_by,
        created_at=screenplay.updated_at,
        autosave=autosave,
    )
    # A screenplay holds at most one revision per version: below the bound there is nothing to count.
    if screenplay.version > settings.SCREENPLAY_REVISIONS_MAX:
        _revisions_bound(screenplay_ids=[screenplay.pk])
    return revision


def screenplay_create(
    *,
    user_id: uuid.UUID,
    title: str,
    content: str = "",
    id: uuid.UUID | None = None,
    source: str = RevisionSource.APP,
    saved_by: uuid.UUID | None = None,
) -> tuple[Screenplay, bool]:
    """Create a screenplay at version 1 with its revision and sections; a repeated client `id` returns it."""
    values: dict[str, Any] = {"user_id": user_id, "title": title, "content": content}
    if id is not None:
        values["id"] = id
    with transaction.atomic():
        screenplay, created = row_create_idempotent(model=Screenplay, user_id=user_id, values=values)
        if created:
            _revision_add(screenplay=screenplay, source=source, saved_by=saved_by or user_id)
            _sections_derive(screenplay=screenplay)
    return screenplay, created


def _screenplay_lock(*, screenplay_id: uuid.UUID, based_on_version: int) -> Screenplay:
    """The screenplay, locked for a save based on `based_on_version`; an older base is a VersionConflict."""
    current = Screenplay.objects.select_for_update().filter(pk=screenplay_id).first()
    if current is None:
        raise NotFound("No such screenplay.")
    if current.version != based_on_version:
        raise VersionConflict(
            current,
            f"The screenplay was saved elsewhere since version {based_on_version}: "
            f"it is now at version {current.version}.",
        )
    return current


def _version_save(
    *, current: Screenplay, values: dict[str, Any], source: str, saved_by: uuid.UUID | None, autosave: bool = False
) -> Screenplay:
    """Save `values` on the locked row as the next version, kept in history; new content re-derives sections."""
    content_changed = "content" in values and values["content"] != current.content
    for field, value in values.items():
        setattr(current, field, value)
    current.version += 1
    current.updated_at = timezone.now()
    row_full_clean(row=current)
    current.save()
    _revision_add(screenplay=current, source=source, saved_by=saved_by, autosave=autosave)
    if content_changed:
        _sections_derive(screenplay=current)
    return current


def screenplay_update(
    *,
    screenplay_id: uuid.UUID,
    based_on_version: int,
    values: dict[str, Any],
    saved_by: uuid.UUID | None = None,
    source: str = RevisionSource.APP,
    autosave: bool | None = None,
) -> Screenplay:
    """Save an edit made on `based_on_version` as the next version (kept in the history); an older base is a conflict.

    The row is locked first, so two saves based on the same version cannot both win. An autosave is thinned as
    it ages; `autosave` None makes the app's saves autosaves (the app's tables say nothing of how a save was
    made, and a phone saves as the writer goes) and every other client's manual saves.
    """
    if autosave is None:
        autosave = source == RevisionSource.APP
    with transaction.atomic():
        current = _screenplay_lock(screenplay_id=screenplay_id, based_on_version=based_on_version)
        return _version_save(current=current, values=values, source=source, saved_by=saved_by, autosave=autosave)


def screenplay_restore(
    *, screenplay_id: uuid.UUID, version: int, based_on_version: int, saved_by: uuid.UUID | None
) -> Screenplay:
    """Make an earlier version's title and content the screenplay's next version; an older base is a conflict."""
    with transaction.atomic():
        current = _screenplay_lock(screenplay_id=screenplay_id, based_on_version=based_on_version)
        revision = ScreenplayRevision.objects.filter(screenplay=current, version=version).first()
        if revision is None:
            raise NotFound(f"This screenplay has no saved version {version}.")
        return _version_save(
            current=current,
            values={"title": revision.title, "content": revision.content},
            source=RevisionSource.RESTORE,
            saved_by=saved_by,
        )


def _title_required(title: str) -> str:
    """A title typed by a writer, its spaces tidied; an empty or too long one is InvalidInput."""
    title = " ".join(title.split())
    if not title:
        raise InvalidInput({"title": ["Give the screenplay a title."]})
    if len(title) > TITLE_MAX:
        raise InvalidInput({"title": [f"A title has at most {TITLE_MAX} characters."]})
    return title


def screenplay_rename(*, user_id: uuid.UUID, screenplay_id: uuid.UUID, based_on_version: int, title: str) -> Screenplay:
    """Give one of the user's screenplays a new title, saved as its next version; an older base is a conflict."""
    title = _title_required(title)
    with transaction.atomic():
        if not Screenplay.objects.owned_by(user_id).filter(pk=screenplay_id).exists():
            raise NotFound("No such screenplay.")
        current = _screenplay_lock(screenplay_id=screenplay_id, based_on_version=based_on_version)
        if current.title == title:
            return current
        return _version_save(current=current, values={"title": title}, source=RevisionSource.EDITOR, saved_by=user_id)


def screenplay_duplicate(*, user_id: uuid.UUID, screenplay_id: uuid.UUID) -> Screenplay:
    """Copy one of the user's screenplays as a new one titled "… (copy)", at version 1 with a history of its own."""
    original = Screenplay.objects.owned_by(user_id).filter(pk=screenplay_id).first()
    if original is None:
        raise NotFound("No such screenplay.")
    suffix = " (copy)"
    screenplay, _ = screenplay_create(
        user_id=user_id,
        title=original.title[: TITLE_MAX - len(suffix)] + suffix,
        content=original.content,
        source=RevisionSource.EDITOR,
        saved_by=user_id,
    )
    return screenplay


# The newest autosave of each bucket is kept: 10 minutes within the last day, else a day in TIME_ZONE. The
# current version is the screenplay's highest, so the newest of its bucket: never deleted here.
_LADDER_SQL = """
DELETE FROM screenplay_revisions WHERE id IN (
    SELECT ranked.id FROM (
        SELECT id, row_number() OVER (
            PARTITION BY screenplay_id,
                created_at >= %(day_ago)s,
                CASE WHEN created_at >= %(day_ago)s
                    THEN date_bin('10 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
                    ELSE date_trunc('day', created_at, %(time_zone)s)
                END
            ORDER BY version DESC
        ) AS newest_first
        FROM screenplay_revisions
        WHERE screenplay_id = ANY(%(screenplay_ids)s) AND autosave AND created_at < %(hour_ago)s
    ) ranked
    WHERE ranked.newest_first > 1
)
"""

# Past the bound the oldest autosaves go, as many as the screenplay has rows too many; never the current version.
_BOUND_SQL = """
DELETE FROM screenplay_revisions WHERE id IN (
    SELECT ranked.id FROM (
        SELECT revision.id, excess.rows,
            row_number() OVER (PARTITION BY revision.screenplay_id ORDER BY revision.version) AS oldest_first
        FROM screenplay_revisions revision
        JOIN screenplays screenplay ON screenplay.id = revision.screenplay_id
        JOIN (
            SELECT screenplay_id, count(*) - %(most)s AS rows FROM screenplay_revisions
            WHERE screenplay_id = ANY(%(screenplay_ids)s)
            GROUP BY screenplay_id HAVING count(*) > %(most)s
        ) excess ON excess.screenplay_id = revision.screenplay_id
        WHERE revision.screenplay_id = ANY(%(screenplay_ids)s)
            AND revision.autosave AND revision.version <> screenplay.version
    ) ranked
    WHERE ranked.oldest_first <= ranked.rows
)
"""


def _revisions_bound(*, screenplay_ids: list[uuid.UUID]) -> int:
    """Delete the oldest autosaves of screenplays holding more than SCREENPLAY_REVISIONS_MAX revisions."""
    with connection.cursor() as cursor:
        cursor.execute(_BOUND_SQL, {"screenplay_ids": screenplay_ids, "most": settings.SCREENPLAY_REVISIONS_MAX})
        return cursor.rowcount


def screenplay_revisions_thin(*, now: datetime | None = None) -> int:
    """Delete the autosaves the retention ladder no longer keeps and those past the bound; answer how many.

    Manual, restore and import versions and each screenplay's current one are never deleted. Only screenplays
    autosaved within THINNING_WINDOW are looked at, THINNING_BATCH of them per transaction.
    """
    now = now or timezone.now()
    hour_ago = now - AUTOSAVES_ALL_KEPT
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT screenplay_id FROM screenplay_revisions"
            " WHERE autosave AND created_at >= %s ORDER BY screenplay_id",
            [now - THINNING_WINDOW],
        )
        screenplay_ids = [row[0] for row in cursor.fetchall()]
    deleted = 0
    for start in range(0, len(screenplay_ids), THINNING_BATCH):
        with transaction.atomic():
            # A screenplay being saved or deleted right now waits for the next run: no writer waits, no deadlock.
            batch = list(
                Screenplay.objects.filter(pk__in=screenplay_ids[start : start + THINNING_BATCH])
                .order_by("pk")
                .select_for_update(no_key=True, skip_locked=True)
                .values_list("pk", flat=True)
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    _LADDER_SQL,
                    {
                        "screenplay_ids": batch,
                        "hour_ago": hour_ago,
                        "day_ago": now - AUTOSAVES_TEN_MINUTES_KEPT,
                        "time_zone": settings.TIME_ZONE,
                    },
                )
                deleted += cursor.rowcount
            deleted += _revisions_bound(screenplay_ids=batch)
    return deleted


def screenplay_delete(*, screenplay_id: uuid.UUID) -> None:
    """Delete a screenplay with its sections and history."""
    with transaction.atomic():
        deleted, _ = Screenplay.objects.filter(pk=screenplay_id).delete()
    if not deleted:
        raise NotFound("No such screenplay.")


# --- export and page count ----------------------------------------------------------------------


def _pdf_render(content: str) -> tuple[bytes, int]:
    """The screenplay's PDF (screenplain's standard layout) and its number of pages."""
    documents: list[DocTemplate] = []

    def document(*args, **kwargs) -> DocTemplate:
        documents.append(DocTemplate(*args, **kwargs))
        return documents[-1]

    output = io.BytesIO()
    to_pdf(parse(io.StringIO(content)), output, template_constructor=document)
    return output.getvalue(), documents[0].page


def _page_count_store(*, screenplay: Screenplay, page_count: int) -> None:
    ScreenplayRevision.objects.filter(screenplay=screenplay, version=screenplay.version).update(page_count=page_count)


def screenplay_page_count(*, screenplay: Screenplay) -> int:
    """The number of pages of the screenplay's PDF export, rendered once per version and kept with its revision."""
    cached = (
        ScreenplayRevision.objects.filter(screenplay=screenplay, version=screenplay.version)
        .values_list("page_count", flat=True)
        .first()
    )
    if cached is not None:
        return cached
    _, page_count = _pdf_render(screenplay.content)
    _page_count_store(screenplay=screenplay, page_count=page_count)
    return page_count


def screenplay_revision_page_count(*, screenplay_id: uuid.UUID, version: int) -> int | None:
    """Render a saved version's PDF once and keep its page count; None when that version no longer exists."""
    revision = ScreenplayRevision.objects.filter(screenplay_id=screenplay_id, version=version).first()
    if revision is None:
        return None
    if revision.page_count is None:
        _, revision.page_count = _pdf_render(revision.content)
        revision.save(update_fields=["page_count"])
    return revision.page_count


def screenplay_statistics(*, screenplay: Screenplay) -> dict[str, Any]:
    """The screenplay's scenes, words, pages, running time (a minute a page), speakers, INT/EXT, times and places."""
    counts = statistics(screenplay.content)
    pages = screenplay_page_count(screenplay=screenplay)
    return {
        "scenes": counts.scenes,
        "words": counts.words,
        "pages": pages,
        "running_time_seconds": pages * 60,
        "characters": [{"name": character.name, "lines": character.lines} for character in counts.characters],
        "int_ext": counts.int_ext,
        "day_night": counts.day_night,
        "locations": counts.locations,
        "version": screenplay.version,
    }


def screenplay_export(*, screenplay: Screenplay, format: str) -> ExportFile:
    """The screenplay as a .fountain, PDF or Final Draft file named after its title."""
    name = slugify(screenplay.title)[:100].strip("-_") or "screenplay"
    if format == "fountain":
        return ExportFile(f"{name}.fountain", "text/plain; charset=utf-8", screenplay.content.encode())
    if format == "pdf":
        data, page_count = _pdf_render(screenplay.content)
        _page_count_store(screenplay=screenplay, page_count=page_count)
        return ExportFile(f"{name}.pdf", "application/pdf", data)
    if format == "fdx":
        output = io.StringIO()
        to_fdx(parse(io.StringIO(screenplay.content)), output)
        return ExportFile(f"{name}.fdx", "application/xml", output.getvalue().encode())
    raise InvalidInput({"format": [f"Choose one of {', '.join(EXPORT_FORMATS)}."]})


# --- import -------------------------------------------------------------------------------------


def _text_decode(data: bytes) -> str:
    """A text file's text: UTF-8 (with or without BOM) or UTF-16 with BOM, else Windows-1252/Latin-1; binary refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidInput({"file": ["This file is not readable text."]}) from None
    controls = sum(byte < 32 and byte not in b"\t\n\r\f" for byte in data)
    if b"\x00" in data or controls > len(data) // 100:
        raise InvalidInput({"file": ["This file is not a text file: import a .fountain, .txt or .fdx screenplay."]})
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _title_clean(title: str) -> str:
    return " ".join(title.replace("*", " ").replace("_", " ").split())[:TITLE_MAX]


def screenplay_import(*, user_id: uuid.UUID, filename: str, data: bytes, title: str | None = None) -> Screenplay:
    """Store a .fountain, .txt or Final Draft .fdx file as a new screenplay; a bad file is InvalidInput.

    Nothing is stored for a bad file. The title is `title` when given, else the title page's, else the file name.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise InvalidInput({"file": ["Import a .fountain, .txt or Final Draft .fdx file."]})
    limit = settings.SCREENPLAY_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise InvalidInput({"file": [f"The file is larger than {limit // 1024} KB, the most an import takes."]})
    if not data.strip():
        raise InvalidInput({"file": ["The file is empty."]})
    if suffix == ".fdx":
        try:
            content, title_page_title = fdx_to_fountain(data)
        except NotFinalDraft as error:
            raise InvalidInput({"file": [str(error)]}) from None
    else:
        content = "\n".join(split_lines(_text_decode(data)))
        title_page = parse_title_page(split_lines(content)) or {}
        title_page_title = " ".join(title_page.get("Title", []))
    if "\x00" in content:
        raise InvalidInput({"file": ["The file holds characters a screenplay cannot."]})
    chosen = _title_clean(title or "") or _title_clean(title_page_title or "") or _title_clean(PurePath(filename).stem)
    screenplay, _ = screenplay_create(
        user_id=user_id,
        title=chosen or "Untitled",
        content=content,
        source=RevisionSource.IMPORT,
        saved_by=user_id,
    )
    return screenplay


# --- to the timeline ----------------------------------------------------------------------------


def _prompt(heading: str, action: str) -> str:
    text = f"{heading}. {action}".strip() if action else heading
    if len(text) <= PROMPT_MAX:
        return text
    return text[: PROMPT_MAX - 1].rsplit(" ", 1)[0] + "…"


def screenplay_scene_drafts_create(
    *, user_id: uuid.UUID, screenplay_id: uuid.UUID, mode: str = "create", default_duration: float = 4.0
) -> list[SceneDraft]:
    """Turn the screenplay's scenes into its project's scene drafts (project_id = the screenplay id); answer them all.

    `mode` create refuses when the project has drafts already (Conflict scene_drafts_exist),
    replace deletes them first, append adds after them.
    """
    if mode not in {"create", "replace", "append"}:
        raise InvalidInput({"mode": ["Choose create, replace or append."]})
    if not default_duration > 0:
        raise InvalidInput({"default_duration": ["Must be greater than zero."]})
    with transaction.atomic():
        screenplay = Screenplay.objects.owned_by(user_id).select_for_update().filter(pk=screenplay_id).first()
        if screenplay is None:
            raise NotFound("No such screenplay.")
        scenes = scan_scenes(screenplay.content)
        if not scenes:
            raise InvalidInput({"content": ["The screenplay has no scene heading to make a scene draft of."]})
        project_id = str(screenplay.pk)
        drafts = SceneDraft.objects.owned_by(user_id).filter(project_id=project_id)
        last = drafts.order_by("-order_index").values_list("order_index", flat=True).first()
        if last is not None and mode == "create":
            raise Conflict(
                "This project already has scene drafts: replace them, or append the new ones after them.",
                code="scene_drafts_exist",
            )
        if mode == "replace":
            drafts.delete()
        start = last + 1 if last is not None and mode == "append" else 0
        now = timezone.now()
        SceneDraft.objects.bulk_create(
            SceneDraft(
                user_id=user_id,
                project_id=project_id,
                order_index=start + number,
                prompt_text=_prompt(scene.heading, scene.first_action),
                duration=default_duration,
                scene_type=scene.int_ext,
                shot_type="wide" if scene.heading.upper().startswith("EST") else None,
                created_at=now,
                updated_at=now,
            )
            for number, scene in enumerate(scenes)
        )
        return list(drafts.order_by("order_index", "id"))
