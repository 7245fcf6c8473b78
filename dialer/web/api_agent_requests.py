"""What the agent's screen sends to ``/api/v1/agent/…``: the request bodies, as the OpenAPI
document shows them and as the handlers read them (:func:`dialer.web.api_models.parse_body`,
a field of the wrong type is a 422 naming it)."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue


class ReasonGiven(BaseModel):
    """A reason chosen from the screen's list (a pause, a person passed)."""

    reason: str = Field("", description="un motif de la liste")
    detail: str = Field("", description="la précision, obligatoire pour « Autre »")


class AnswerGiven(BaseModel):
    """One answer to the questionnaire (or its clearing)."""

    question_id: str = Field(description="l'identifiant de la question")
    value: JsonValue = Field(None, description="la réponse, selon le type de la question")
    cleared: bool = Field(False, description="effacer la réponse")


class NoteGiven(BaseModel):
    note: str = Field("", description="la note de l'appel")


class SheetGiven(BaseModel):
    """The sheet submitted with the call's outcome."""

    disposition: str = Field(description="l'issue de l'appel (complete, callback, refused…)")
    note: str = ""
    callback_at: str | None = Field(
        None, description="date et heure du rappel (ISO 8601, heure de Paris sans fuseau)"
    )
    nouveau_numero: str | None = Field(None, description="un numéro de téléphone corrigé")
