from django.contrib import admin


class DirectorStudioAdminSite(admin.AdminSite):
    """The staff console over every table and view of the DirectorStudio database."""

    site_header = "DirectorStudio administration"
    site_title = "DirectorStudio admin"
    index_title = "Tables and views"
