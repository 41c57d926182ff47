from django.contrib.admin.apps import AdminConfig


class DirectorStudioAdminConfig(AdminConfig):
    """The Django admin, served by DirectorStudio's own admin site."""

    default_site = "directorstudio.admin.DirectorStudioAdminSite"
