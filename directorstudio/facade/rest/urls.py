from django.urls import path

from directorstudio.facade.rest import views

urlpatterns = [
    path("rpc/<str:name>", views.function_view, name="rest-function"),
    path("<str:name>", views.relation_view, name="rest-relation"),
]
