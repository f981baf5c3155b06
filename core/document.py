"""A stored JSON document read as a typed, unchanging model and given back as the same document."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr


class StoredDocument(BaseModel):
    """The base of the documents the stores keep (a lead, an agency): made from the stored JSON object by
    `from_document`, and given back by `document()` with the same keys in the same order, fields it lacks absent
    and a field outside the type kept whole, so a store writes back exactly what it read."""

    model_config = ConfigDict(extra="allow", frozen=True)

    _order: tuple[str, ...] = PrivateAttr(default=())

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Self:
        """The model of a stored document (validated), remembering the order of its fields for `document()`."""
        model = cls.model_validate(doc)
        model._order = tuple(doc)
        return model

    def document(self) -> dict[str, Any]:
        """The JSON document the store keeps: the fields this was made from, in their order (in the order the
        model declares them when it was not made by `from_document`)."""
        fields = self.model_dump(exclude_unset=True)
        return {key: fields.pop(key) for key in self._order if key in fields} | fields
