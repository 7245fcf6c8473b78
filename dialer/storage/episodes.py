"""Alert episodes: started, ended, and the one campaign whose cycles each runs (several
may last at once, never two of one kind over a shared area)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from dialer.core.episodes import AlertKind, EpisodeView, check_may_start
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.models import AlertEpisode, Cycle


def _view(row: AlertEpisode) -> EpisodeView:
    return EpisodeView(
        id=row.id,
        kind=row.kind,
        level=row.level,
        districts=tuple(row.districts or ()),
        started_at=row.started_at,
        started_by=row.started_by,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        campaign_id=row.campaign_id,
    )


class EpisodeRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def start(
        self,
        *,
        kind: AlertKind,
        level: int,
        districts: Sequence[str],
        by: str,
        at: datetime,
        campaign_id: int | None = None,
    ) -> EpisodeView:
        """A new episode (kind, level, districts checked by the caller), beside those that
        last; :class:`ConflictError` while one of the same kind lasts over a shared area
        (:func:`check_may_start`)."""
        async with transaction(self._sessions) as session:
            running = await session.scalars(
                select(AlertEpisode).where(AlertEpisode.ended_at.is_(None)).with_for_update()
            )
            check_may_start([_view(r) for r in running], kind, districts)
            row = AlertEpisode(
                kind=kind,
                level=level,
                districts=list(districts),
                started_at=at,
                started_by=by,
                campaign_id=campaign_id,
            )
            session.add(row)
            await session.flush()
            return _view(row)

    async def end(self, episode_id: int, *, by: str, at: datetime) -> EpisodeView:
        """Mark the episode ended; :class:`ConflictError` when it already is (compare and
        set: two ends never both succeed)."""
        async with transaction(self._sessions) as session:
            ended = await session.execute(
                update(AlertEpisode)
                .where(AlertEpisode.id == episode_id)
                .where(AlertEpisode.ended_at.is_(None))
                .values(ended_at=at, ended_by=by)
                .execution_options(synchronize_session=False)
            )
            row = await session.get(AlertEpisode, episode_id, populate_existing=True)
            if row is None:
                raise NotFoundError(f"episode {episode_id}: no such alert episode")
            if ended.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(f"l'épisode d'alerte n° {episode_id} est déjà terminé")
            return _view(row)

    async def get(self, episode_id: int) -> EpisodeView:
        async with transaction(self._sessions) as session:
            row = await session.get(AlertEpisode, episode_id)
            if row is None:
                raise NotFoundError(f"episode {episode_id}: no such alert episode")
            return _view(row)

    async def running(self) -> list[EpisodeView]:
        """The episodes that last, oldest first."""
        async with transaction(self._sessions) as session:
            rows = await session.scalars(
                select(AlertEpisode)
                .where(AlertEpisode.ended_at.is_(None))
                .order_by(AlertEpisode.id)
            )
            return [_view(row) for row in rows]

    async def current(self) -> EpisodeView | None:
        """The newest episode that lasts, if any (several may: :meth:`running`)."""
        async with transaction(self._sessions) as session:
            row = await session.scalar(
                select(AlertEpisode)
                .where(AlertEpisode.ended_at.is_(None))
                .order_by(AlertEpisode.id.desc())
            )
            return _view(row) if row is not None else None

    async def list_all(self) -> list[EpisodeView]:
        """Newest first."""
        async with transaction(self._sessions) as session:
            rows = await session.scalars(select(AlertEpisode).order_by(AlertEpisode.id.desc()))
            return [_view(row) for row in rows]

    async def with_cycles_to_run(self) -> list[EpisodeView]:
        """Episodes whose campaign may still have a cycle to close or open: those that last,
        and those ended whose campaign still has an open cycle."""
        open_cycle = (
            select(Cycle.id)
            .where(Cycle.campaign_id == AlertEpisode.campaign_id)
            .where(Cycle.closed_at.is_(None))
            .exists()
        )
        async with transaction(self._sessions) as session:
            rows = await session.scalars(
                select(AlertEpisode)
                .where(AlertEpisode.campaign_id.is_not(None))
                .where(AlertEpisode.ended_at.is_(None) | open_cycle)
                .order_by(AlertEpisode.id)
            )
            return [_view(row) for row in rows]
