"""Which key signs and which keys are published, derived from the rows and
the time alone: every worker that reads the same rows picks the same key at
the same moment, without telling the others anything.

- A new key is published at once and signs from its ``signs_from``: at once
  for the first key of an algorithm (nobody can hold a JWKS without it), and
  ``CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY`` after a rotation, longer than a
  relying party may cache the JWKS (``CIVICAUTH_JWKS_MAX_AGE``), so none
  meets a token signed by a key its cached JWKS lacks.
- The key that signs is the newest generation of its algorithm whose
  ``signs_from`` has come (retired keys never sign).
- A replaced key stays published until every ID token it signed has
  expired: the moment its successor began to sign, plus the ID token
  lifetime, plus a margin for clock skew between hosts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from civicauth.settings import PUBLISH_MARGIN
from civicauth.signing_keys.models import ALGORITHMS


class State(StrEnum):
    NEXT = "next"  # published, signs later
    SIGNING = "signing"
    PREVIOUS = "previous"  # replaced, still published for the tokens it signed
    EXPIRED = "expired"  # replaced, every token it signed has expired
    RETIRED = "retired"


@dataclass(frozen=True)
class KeyView:
    """A signing key row as the workers hold it in memory."""

    kid: str
    alg: str
    generation: int
    public_jwk: dict[str, Any]
    private_jwk_sealed: bytes
    created_at: datetime
    signs_from: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class Schedule:
    """The rules above for one deployment's ID token lifetime."""

    id_token_ttl: timedelta
    margin: timedelta = timedelta(seconds=PUBLISH_MARGIN)

    def signer(self, keys: Sequence[KeyView], alg: str, now: datetime) -> KeyView | None:
        """The key that signs ``alg`` at ``now``, or None if none may."""
        ready = [k for k in keys if _live(k, alg) and k.signs_from <= now]
        return max(ready, key=lambda k: k.generation, default=None)

    def replaced_at(self, keys: Sequence[KeyView], key: KeyView) -> datetime | None:
        """When ``key`` stopped (or will stop) signing: when the first later
        generation of its algorithm began to sign; None if none exists."""
        later = [k.signs_from for k in keys if _live(k, key.alg) and k.generation > key.generation]
        return min(later, default=None)

    def published_until(self, keys: Sequence[KeyView], key: KeyView) -> datetime | None:
        """The end of ``key``'s place in the JWKS; None while no successor exists."""
        replaced = self.replaced_at(keys, key)
        return None if replaced is None else replaced + self.id_token_ttl + self.margin

    def state(self, keys: Sequence[KeyView], key: KeyView, now: datetime) -> State:
        if key.retired_at is not None:
            return State.RETIRED
        if key.signs_from > now:
            return State.NEXT
        if self.signer(keys, key.alg, now) == key:
            return State.SIGNING
        until = self.published_until(keys, key)
        return State.PREVIOUS if until is None or now < until else State.EXPIRED

    def published(self, keys: Sequence[KeyView], now: datetime) -> list[KeyView]:
        """The keys of the JWKS at ``now``: per algorithm (RS256, then
        ES256), the one signing first, then the next, then
        the ones replaced, newest first."""
        rank = {State.SIGNING: 0, State.NEXT: 1, State.PREVIOUS: 2}
        states = {k.kid: self.state(keys, k, now) for k in keys}
        shown = [k for k in keys if states[k.kid] in rank]
        order = {alg: index for index, alg in enumerate(ALGORITHMS)}
        return sorted(shown, key=lambda k: (order[k.alg], rank[states[k.kid]], -k.generation))


def _live(key: KeyView, alg: str) -> bool:
    return key.alg == alg and key.retired_at is None
