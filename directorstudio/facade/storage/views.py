"""Storage's object and bucket endpoints (supabase/storage `src/http/routes/object`, `.../bucket`).

Every endpoint but a signed URL's GET needs the project's API key and a signed-in user's token: the anon
role reads and writes nothing here. A bucket answers for the caller's own objects only, so another user's
object is "not found", as Storage's row-level security makes it.
"""

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from directorstudio.errors import DomainError, NotFound
from directorstudio.facade.keys import FacadeAuthError, facade_caller
from directorstudio.facade.storage.buckets import SORT_COLUMNS, Bucket, StoredObject, buckets
from directorstudio.facade.storage.errors import StorageError
from directorstudio.facade.storage.signing import expires_in_value, object_token_sign, object_token_verify
from directorstudio.facade.storage.uploads import spooled_upload

KEY_MAX_LENGTH = 1024
UNSAFE_KEY = re.compile(r"[\x00-\x1f\x7f\\]")
LIST_LIMIT_MAX = 1000
OFFSET_MAX = 2**31 - 1
BATCH_MAX = 1000


def object_name(name: str) -> str:
    """An object key as Storage accepts it (no empty, `.` or `..` segment, no control character); InvalidKey else."""
    segments = name.split("/")
    if (
        not name
        or len(name) > KEY_MAX_LENGTH
        or UNSAFE_KEY.search(name)
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise StorageError.invalid_key(name)
    return name


def mimetype_allowed(mimetype: str, allowed: list[str] | None) -> bool:
    """Whether a bucket's allowed types (`video/mp4`, `video/*`; None for any) admit `mimetype`, as Storage checks."""
    if allowed is None:
        return True
    essence = mimetype.split(";", 1)[0].strip().lower()
    return any(
        essence == pattern or (pattern.endswith("/*") and essence.startswith(pattern[:-1])) for pattern in allowed
    )


def _timestamp(value) -> str | None:
    return None if value is None else value.isoformat()


def object_metadata(obj: StoredObject) -> dict[str, Any]:
    """The `metadata` Storage keeps for an object's bytes."""
    return {
        "eTag": obj.etag,
        "size": obj.size,
        "mimetype": obj.mimetype,
        "cacheControl": obj.cache_control,
        "lastModified": _timestamp(obj.updated_at),
        "contentLength": obj.size,
        "httpStatusCode": 200,
    }


def object_json(obj: StoredObject, *, name: str | None = None) -> dict[str, Any]:
    """An object as Storage's list answers it (`name` relative to the listed folder)."""
    return {
        "name": obj.name if name is None else name,
        "id": str(obj.id),
        "updated_at": _timestamp(obj.updated_at),
        "created_at": _timestamp(obj.created_at),
        "last_accessed_at": _timestamp(obj.last_accessed_at),
        "metadata": object_metadata(obj),
        "user_metadata": obj.user_metadata,
    }


def folder_json(name: str) -> dict[str, Any]:
    """A folder as Storage's list answers it: a name and nothing else."""
    return {"name": name} | dict.fromkeys(("id", "updated_at", "created_at", "last_accessed_at", "metadata"))


@csrf_exempt
def route_not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /storage/v1: Storage's 404 for an unknown route."""
    return StorageError.route_not_found(request.method, request.path).response()


@method_decorator(csrf_exempt, name="dispatch")
class StorageView(View):
    """A Storage endpoint: its caller signed in (unless `signed_in` is off), its errors in Storage's dialect."""

    signed_in = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
                raise StorageError.route_not_found(request.method, request.path)
            if self.needs_user(request):
                self.user_id = self._user_id(request)
            return super().dispatch(request, *args, **kwargs)
        except StorageError as error:
            return error.response()
        except DomainError as error:
            return StorageError.from_domain(error).response()
        except RequestDataTooBig:
            return StorageError.entity_too_large().response()
        except SuspiciousOperation as error:  # too many form fields or files, a malformed upload's name
            return StorageError.invalid_request(str(error)).response()

    def needs_user(self, request: HttpRequest) -> bool:
        """Whether the request must come from a signed-in user."""
        return self.signed_in

    @staticmethod
    def _user_id(request: HttpRequest) -> uuid.UUID:
        """The signed-in caller's id; Storage's AccessDenied for the anon role or a refused key or token."""
        try:
            caller = facade_caller(request)
        except FacadeAuthError as error:
            raise StorageError.from_auth(error) from None
        if caller.user is None:
            raise StorageError.access_denied()
        return caller.user_id

    @staticmethod
    def json_body(request: HttpRequest) -> dict[str, Any]:
        """The request's JSON object body; InvalidRequest when it is not one."""
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            raise StorageError.invalid_request("Body is not valid JSON") from None
        if not isinstance(body, dict):
            raise StorageError.invalid_request("body must be object")
        return body

    @staticmethod
    def text_field(body: dict[str, Any], field: str, *, required: bool = True) -> str:
        """A string property of a JSON body, as Storage's schema checks it."""
        value = body.get(field, None if required else "")
        if not isinstance(value, str):
            problem = f"body/{field} must be string" if field in body else f"body must have required property '{field}'"
            raise StorageError.invalid_request(problem)
        return value


class BucketListView(StorageView):
    """`GET /bucket` lists the buckets; creating one is refused."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse([bucket.describe() for bucket in buckets.all()], safe=False)

    def post(self, request: HttpRequest) -> HttpResponse:
        raise StorageError.access_denied()


class BucketDetailView(StorageView):
    """`GET /bucket/<id>` describes a bucket; changing, emptying or deleting one is refused."""

    def get(self, request: HttpRequest, bucket_id: str) -> HttpResponse:
        return JsonResponse(buckets.get(bucket_id).describe())

    def put(self, request: HttpRequest, bucket_id: str) -> HttpResponse:
        buckets.get(bucket_id)
        raise StorageError.access_denied()

    delete = post = put


class ObjectListView(StorageView):
    """`POST /object/list/<bucket>`: the folders and objects directly in a folder (`prefix`), as Storage's search."""

    def post(self, request: HttpRequest, bucket_id: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        body = self.json_body(request)
        prefix = self.text_field(body, "prefix")
        search = self.text_field(body, "search", required=False)
        if UNSAFE_KEY.search(prefix + search):
            raise StorageError.invalid_request("body/prefix and body/search may not hold control characters")
        limit = min(self._bounded(body, "limit", 100, 1), LIST_LIMIT_MAX)
        offset = self._bounded(body, "offset", 0, 0)
        sort = body.get("sortBy") or {}
        column = sort.get("column", "name") if isinstance(sort, dict) else None
        order = (sort.get("order") or "asc") if isinstance(sort, dict) else None
        if column not in SORT_COLUMNS or not isinstance(order, str) or order.lower() not in ("asc", "desc"):
            raise StorageError.invalid_request(f"body/sortBy/column must be one of {', '.join(SORT_COLUMNS)}")
        if prefix and not prefix.endswith("/"):
            prefix += "/"  # Storage takes the prefix as a folder
        descending = order.lower() == "desc"
        folders = bucket.folder_names(user_id=self.user_id, prefix=prefix, search=search)
        files = bucket.file_objects(
            user_id=self.user_id,
            prefix=prefix,
            search=search,
            sort_column=column,
            descending=descending,
            limit=offset + limit,
        )
        entries = [(folder, folder_json(folder)) for folder in sorted(folders, reverse=descending)]
        entries += [(obj.name[len(prefix) :], object_json(obj, name=obj.name[len(prefix) :])) for obj in files]
        if column == "name":  # folders and files together by name; by another column, folders first
            entries.sort(key=lambda entry: (entry[0].lower(), entry[0]), reverse=descending)
        page = entries[offset : offset + limit]
        return JsonResponse([entry for _, entry in page], safe=False)

    @staticmethod
    def _bounded(body: dict[str, Any], field: str, default: int, minimum: int) -> int:
        value = body.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= OFFSET_MAX:
            raise StorageError.invalid_request(f"body/{field} must be an integer from {minimum} to {OFFSET_MAX}")
        return value


class ObjectDownloadMixin:
    """Answer a GET or HEAD of one of the caller's objects with its bytes."""

    def get(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        obj = bucket.object_get(user_id=self.user_id, name=object_name(name))
        return bucket.object_response(request, obj, download=request.GET.get("download"), signed=False)

    head = get


class ObjectView(ObjectDownloadMixin, StorageView):
    """`/object/<bucket>/<path>`: upload (POST, PUT to replace), download (GET, HEAD) and delete one object."""

    def post(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        return self._upload(request, bucket_id, name, upsert=request.headers.get("X-Upsert", "").lower() == "true")

    def put(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        return self._upload(request, bucket_id, name, upsert=True)

    def _upload(self, request: HttpRequest, bucket_id: str, name: str, *, upsert: bool) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        name = object_name(name)
        if bucket.read_only:  # refused before the body is read
            raise StorageError.access_denied()
        with spooled_upload(request, limit=bucket.file_size_limit) as upload:
            if not mimetype_allowed(upload.mimetype, bucket.allowed_mime_types):
                raise StorageError.invalid_mime_type(f"mime type {upload.mimetype} is not supported")
            obj = bucket.object_upload(user_id=self.user_id, name=name, upload=upload, upsert=upsert)
        return JsonResponse({"Id": str(obj.id), "Key": f"{bucket_id}/{obj.name}"})

    def delete(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        name = object_name(name)
        bucket.object_get(user_id=self.user_id, name=name)
        if not bucket.objects_remove(user_id=self.user_id, names=[name]):
            raise StorageError.access_denied("Access denied")
        return JsonResponse({"message": "Successfully deleted"})


class ObjectAuthenticatedView(ObjectDownloadMixin, StorageView):
    """`/object/authenticated/<bucket>/<path>`: download one of the caller's objects."""


class ObjectPublicView(StorageView):
    """`/object/public/<bucket>/<path>`: only a public bucket's objects, and no bucket here is public."""

    signed_in = False

    def get(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        buckets.get(bucket_id)
        raise StorageError.no_such_bucket()  # as Storage's lookup of a public bucket of that id finds none

    head = get


class ObjectInfoView(StorageView):
    """`/object/info/[authenticated/]<bucket>/<path>`: one of the caller's objects described, without its bytes."""

    def get(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        obj = buckets.get(bucket_id).object_get(user_id=self.user_id, name=object_name(name))
        return JsonResponse(
            {
                "id": str(obj.id),
                "name": obj.name,
                "version": str(obj.id),
                "bucket_id": bucket_id,
                "size": obj.size,
                "content_type": obj.mimetype,
                "cache_control": obj.cache_control,
                "etag": obj.etag,
                "metadata": obj.user_metadata,
                "last_modified": _timestamp(obj.updated_at),
                "created_at": _timestamp(obj.created_at),
            }
        )


class ObjectsRemoveView(StorageView):
    """`DELETE /object/<bucket>` with `{"prefixes": [names]}`: delete those of the caller's objects, answered."""

    def delete(self, request: HttpRequest, bucket_id: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        names = _names(self.json_body(request), "prefixes")
        removed = bucket.objects_remove(user_id=self.user_id, names=names)
        return JsonResponse(
            [{**object_json(obj), "bucket_id": bucket_id, "owner": str(self.user_id)} for obj in removed], safe=False
        )


def _names(body: dict[str, Any], field: str) -> list[str]:
    """A body's non-empty list of object names (at most BATCH_MAX); InvalidRequest otherwise."""
    names = body.get(field)
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise StorageError.invalid_request(f"body/{field} must be a non-empty array of strings")
    if len(names) > BATCH_MAX:
        raise StorageError.invalid_request(f"body/{field} must NOT have more than {BATCH_MAX} items")
    if any(UNSAFE_KEY.search(name) for name in names):
        raise StorageError.invalid_request(f"body/{field} may not hold control characters")
    return names


def signed_url(*, bucket_id: str, name: str, owner: uuid.UUID, expires_in: int) -> str:
    """The path (below /storage/v1) of a signed URL of the owner's object, as Storage answers it."""
    token = object_token_sign(bucket_id=bucket_id, name=name, owner=owner, expires_in=expires_in)
    return f"/object/sign/{quote(bucket_id)}/{quote(name)}?token={token}"


class ObjectSignView(StorageView):
    """`/object/sign/<bucket>/<path>`: POST signs a URL of one of the caller's objects; GET serves it to anyone
    holding a valid token, without any other header (a player sends none).
    """

    def needs_user(self, request: HttpRequest) -> bool:
        return request.method not in ("GET", "HEAD")

    def post(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        expires_in = expires_in_value(self.json_body(request).get("expiresIn"))
        obj = bucket.object_get(user_id=self.user_id, name=object_name(name))
        url = signed_url(bucket_id=bucket_id, name=obj.name, owner=self.user_id, expires_in=expires_in)
        return JsonResponse({"signedURL": url})

    def get(self, request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        token = request.GET.get("token")
        if not token:
            raise StorageError.invalid_request("querystring must have required property 'token'")
        signed = object_token_verify(token, bucket_id=bucket_id, name=name)
        obj = bucket.object_get(user_id=signed.owner, name=object_name(name))
        return bucket.object_response(request, obj, download=request.GET.get("download"), signed=True)

    head = get


class ObjectSignManyView(StorageView):
    """`POST /object/sign/<bucket>` with `{expiresIn, paths}`: a signed URL, or an error, for each path."""

    def post(self, request: HttpRequest, bucket_id: str) -> HttpResponse:
        bucket = buckets.get(bucket_id)
        body = self.json_body(request)
        expires_in = expires_in_value(body.get("expiresIn"))
        answers = []
        for name in _names(body, "paths"):
            try:
                obj = bucket.object_get(user_id=self.user_id, name=object_name(name))
            except (NotFound, StorageError):
                answers.append(
                    {
                        "error": "Either the object does not exist or you do not have access to it",
                        "path": name,
                        "signedURL": None,
                    }
                )
                continue
            url = signed_url(bucket_id=bucket_id, name=obj.name, owner=self.user_id, expires_in=expires_in)
            answers.append({"error": None, "path": name, "signedURL": url})
        return JsonResponse(answers, safe=False)


class ObjectTransferView(StorageView):
    """`POST /object/move` and `/object/copy` with `{bucketId, sourceKey, destinationKey}` within one bucket."""

    copy = False

    def post(self, request: HttpRequest) -> HttpResponse:
        body = self.json_body(request)
        bucket_id = self.text_field(body, "bucketId")
        source = object_name(self.text_field(body, "sourceKey"))
        destination = object_name(self.text_field(body, "destinationKey"))
        bucket: Bucket = buckets.get(bucket_id)
        if body.get("destinationBucket") not in (None, bucket_id):
            buckets.get(str(body["destinationBucket"]))
            raise StorageError.invalid_request("Objects move and copy only within their bucket here")
        if self.copy:
            upsert = request.headers.get("X-Upsert", "").lower() == "true"
            obj = bucket.object_copy(user_id=self.user_id, source=source, destination=destination, upsert=upsert)
            return JsonResponse({"Id": str(obj.id), "Key": f"{bucket_id}/{obj.name}", **object_json(obj)})
        obj = bucket.object_move(user_id=self.user_id, source=source, destination=destination)
        return JsonResponse({"message": "Successfully moved", "Id": str(obj.id), "Key": obj.name})
