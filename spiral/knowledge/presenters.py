"""Display shaping that pages and the API share: Markdown rendered and sanitised."""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

# What a resource body may use once rendered: text structure, links, tables, images by address.
ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "img", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}


def render_markdown(text: str) -> Markup:
    """Markdown to HTML, then sanitised (nh3): no scripts, styles, event handlers or javascript: links.

    Raw HTML in the source is escaped by Markdown's own rules and then cleaned again, so whatever was
    typed, the page only ever gets the tags above.
    """
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
