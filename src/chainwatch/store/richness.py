"""Richness: the amount of detail in an event copy, so a fuller copy can replace it.

The same source record can arrive more than once with different detail. For example,
``Search-UnifiedAuditLog`` can cut ``AuditData`` at a fixed length, and a later full
export of the same record keeps its rule parameters. :func:`event_richness` gives each
copy a number, and the store keeps the copy with the highest one.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, fields, is_dataclass
from functools import cache
from typing import Any

from chainwatch.events import Event, MailboxRuleChange


def event_richness(event: Event) -> int:
    """Return the number of informative fields of ``event``.

    A field counts when its value is not ``None``, an empty string or tuple, ``False``
    or the field's default. Nested records (``location``, ``client``, ``auth``,
    ``origin``) count each of their fields by the same rule instead of counting once.
    An event with ``links`` adds one per link on top of the ``links`` field itself.
    A :class:`MailboxRuleChange` with ``details_lost`` is 0, so a truncated copy
    loses to any full one and never replaces it.
    """
    if isinstance(event, MailboxRuleChange) and event.details_lost:
        return 0
    richness = _count_informative(event)
    links = getattr(event, "links", None)
    if isinstance(links, tuple):
        richness += len(links)
    return richness


def _count_informative(record: Any) -> int:
    count = 0
    for name, default in _field_defaults(type(record)):
        value = getattr(record, name)
        if _is_record_type(type(value)):
            count += _count_informative(value)
        elif _is_informative(value, default):
            count += 1
    return count


@cache
def _field_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    # Cached per class: dataclasses.fields and default factories cost more than the count.
    return tuple((field.name, _default_of(field)) for field in fields(cls))


@cache
def _is_record_type(cls: type) -> bool:
    return is_dataclass(cls)


def _default_of(field: Field[Any]) -> Any:
    if field.default is not MISSING:
        return field.default
    if field.default_factory is not MISSING:
        return field.default_factory()
    return MISSING


def _is_informative(value: Any, default: Any) -> bool:
    if value is None or value is False or value == "" or value == ():
        return False
    # An explicit type check keeps 1 from matching a default of True and 0 of False.
    return not (type(value) is type(default) and value == default)
