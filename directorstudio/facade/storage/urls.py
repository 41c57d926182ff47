from django.urls import path, re_path

from directorstudio.facade.storage import views

# Storage's routes; the fixed words (list, sign, move, copy, info, public, authenticated) come before a bucket name.
urlpatterns = [
    path("bucket", views.BucketListView.as_view()),
    path("bucket/", views.BucketListView.as_view()),
    path("bucket/<str:bucket_id>", views.BucketDetailView.as_view()),
    path("bucket/<str:bucket_id>/empty", views.BucketDetailView.as_view()),
    path("object/list/<str:bucket_id>", views.ObjectListView.as_view()),
    path("object/move", views.ObjectTransferView.as_view()),
    path("object/copy", views.ObjectTransferView.as_view(copy=True)),
    path("object/sign/<str:bucket_id>", views.ObjectSignManyView.as_view()),
    path("object/sign/<str:bucket_id>/<path:name>", views.ObjectSignView.as_view()),
    path("object/info/authenticated/<str:bucket_id>/<path:name>", views.ObjectInfoView.as_view()),
    path("object/info/public/<str:bucket_id>/<path:name>", views.ObjectPublicView.as_view()),
    path("object/info/<str:bucket_id>/<path:name>", views.ObjectInfoView.as_view()),
    path("object/authenticated/<str:bucket_id>/<path:name>", views.ObjectAuthenticatedView.as_view()),
    path("object/public/<str:bucket_id>/<path:name>", views.ObjectPublicView.as_view()),
    path("object/<str:bucket_id>", views.ObjectsRemoveView.as_view()),
    path("object/<str:bucket_id>/<path:name>", views.ObjectView.as_view()),
    re_path(r"", views.route_not_found),
]
