"""The REST API's renderers (their own module: DRF imports them while it loads settings)."""

from __future__ import annotations

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without its inline <style> of syntax colours (for Markdown code
    in view descriptions, which ours do not have): the site's CSP refuses inline styles."""

    def get_context(self, *args, **kwargs):
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
