"""Template tags of the DirectorStudio admin site (registered in TEMPLATES["OPTIONS"]["libraries"])."""

from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.template import Library

from directorstudio.admin import date_hierarchy

register = Library()


@register.tag(name="table_date_hierarchy")
def table_date_hierarchy_tag(parser, token) -> InclusionAdminNode:
    """Render the date hierarchy with Django's template, its periods listed without reading every row."""
    return InclusionAdminNode(
        parser, token, func=date_hierarchy, template_name="date_hierarchy.html", takes_context=False
    )
