"""Storage: the SQLAlchemy models, the engine, the migrations and the repositories.

The rest of the dialer talks to the repositories (one committed transaction per method),
never to sessions::

    engine = create_engine(settings.database_address())
    sessions = create_session_factory(engine)
    ledger = AttemptLedger(sessions)
"""

from dialer.core.pacing_settings import PacingMode
from dialer.storage.callbacks import CallbackRepository
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate,
    migrate_engine,
)
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import (
    Attempt,
    Callback,
    Campaign,
    Cycle,
    CycleResultRow,
    Person,
    PhoneNumber,
)
from dialer.storage.people import PersonRecord, PersonRepository, PhoneRecord
from dialer.storage.results import CycleResultRepository

__all__ = [
    "Attempt",
    "AttemptLedger",
    "Callback",
    "CallbackRepository",
    "Campaign",
    "CampaignRepository",
    "Cycle",
    "CycleRepository",
    "CycleResultRepository",
    "CycleResultRow",
    "PacingMode",
    "Person",
    "PersonRecord",
    "PersonRepository",
    "PhoneNumber",
    "PhoneRecord",
    "SessionFactory",
    "create_engine",
    "create_session_factory",
    "migrate",
    "migrate_engine",
]
