"""Template data: the book, the brand and the strings as plain data (str, numbers, lists, dicts).

Templates never receive a `Path` or any object with methods that touch files; every part that both
outputs show (templates/parts/) reads the same keys, whichever output includes it.
"""
from __future__ import annotations

import datetime as dt

import jinja2

from .. import __version__
from ..config import Person
from ..errors import DocError, Location, Problem
from ..locale import install
from ..sandbox import TemplateLimit, TemplateProblem, render_limited, template_problem
from . import RenderContext
from .notes import references_data


def _person(person: Person) -> dict:
    return {"name": person.name, "credentials": person.credentials, "display": person.display}


def _date(ctx: RenderContext, day: dt.date | None) -> dict | None:
    return {"iso": day.isoformat(), "text": ctx.locale.format_date(day)} if day else None


def meta_data(ctx: RenderContext) -> dict:
    config = ctx.book.config
    return {"title": config.title, "subtitle": config.subtitle, "language": config.language,
            "direction": ctx.locale.direction, "description": config.description, "slug": config.slug,
            "identifier": config.identifier, "authors": [_person(p) for p in config.authors],
            "reviewers": [_person(p) for p in config.reviewers], "published": _date(ctx, config.published),
            "reviewed": _date(ctx, config.reviewed), "next_review": _date(ctx, config.next_review),
            "date_iso": config.date.isoformat(), "leaflet_code": config.leaflet_code,
            "version": config.version}


def brand_data(ctx: RenderContext, logo_src: str) -> dict:
    config = ctx.theme.brand.config
    contact = config.contact
    return {"name": config.name, "feedback": config.feedback, "logo_src": logo_src,
            "colors": {"primary": config.colors.primary, "accent": config.colors.accent},
            "contact": {"address": contact.address, "phone": contact.phone, "email": contact.email,
                        "website": contact.website, "any": bool(contact)},
            "has_contact_page": bool(contact), "large_print_notice": config.large_print_notice,
            "reach": contact.phone or contact.email or contact.website}


def base_data(ctx: RenderContext, logo_src: str, note_href) -> dict:
    listed = ctx.book.config.references_list == "end"
    return {"meta": meta_data(ctx), "brand": brand_data(ctx, logo_src), "tool_version": __version__,
            "edition": ctx.edition.name, "references": references_data(ctx, note_href) if listed else []}


def render(ctx: RenderContext, name: str, data: dict) -> str:
    """Render one template of the theme with the book's strings; problems raise DocError at its line."""
    env = ctx.theme.env
    install(env, ctx.locale)
    try:
        return render_limited(env.get_template(name), data)
    except TemplateProblem as exc:
        message = exc.message
        overrides = sorted(str(path) for _, path in ctx.theme.brand.templates.values())
        if isinstance(exc, TemplateLimit) and overrides and exc.filename not in overrides:
            message += f" (the brand pack's templates run inside it: {', '.join(overrides)})"
        raise DocError([Problem(Location.of(exc.filename, exc.lineno), f"template error: {message}")]) from None
    except jinja2.TemplateError as exc:
        filename, line, message = template_problem(exc, name)
        raise DocError([Problem(Location.of(filename, line), f"template error: {message}")]) from None
