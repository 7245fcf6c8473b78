from __future__ import annotations

from enum import StrEnum

import pytest

from dialer.core import labels
from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.core.billing import IssueKind
from dialer.core.call_help import SpyMode
from dialer.core.campaign_settings import FIELDS
from dialer.core.campaigns import CampaignState
from dialer.core.consent import AgreedBy, ConsentChannel, ConsentGap
from dialer.core.cycles import NeverReachedReason
from dialer.core.episodes import AlertKind
from dialer.core.holds import HoldKind, OnBehalfOf
from dialer.core.inbound_match import AttachRefusal
from dialer.core.orientations import OrientationMode
from dialer.core.outcomes import CallOutcome
from dialer.core.own_line import OwnLineCall, OwnLineRefusal
from dialer.core.pacing_settings import PacingMode
from dialer.core.phones import PhoneKind
from dialer.core.planning import DoneReason
from dialer.core.questionnaire import Need
from dialer.core.relatives import RelativeOutcome, VisitOutcome, VisitReason
from dialer.core.resources import NeedKind
from dialer.core.retention import DataKind
from dialer.core.roles import Role
from dialer.core.selection import FLAGS
from dialer.core.transfers import TransferKind, TransferState
from dialer.core.wallboard import AlarmKind
from dialer.reports.figures import DMT_BUCKET_EDGES_S

#: every map of the module, with the enumeration it labels
MAPS: dict[str, type[StrEnum]] = {
    "SPY_MODE_LABELS": SpyMode,
    "ATTACH_REFUSAL_LABELS": AttachRefusal,
    "OUTCOME_LABELS": CallOutcome,
    "DISPOSITION_LABELS": Disposition,
    "CYCLE_RESULT_LABELS": CycleResult,
    "DONE_REASON_LABELS": DoneReason,
    "NEVER_REACHED_REASON_LABELS": NeverReachedReason,
    "ALERT_KIND_LABELS": AlertKind,
    "AGENT_STATE_LABELS": AgentState,
    "CAMPAIGN_STATE_LABELS": CampaignState,
    "PACING_MODE_LABELS": PacingMode,
    "ROLE_LABELS": Role,
    "ISSUE_LABELS": IssueKind,
    "NEED_LABELS": Need,
    "PHONE_KIND_LABELS": PhoneKind,
    "DATA_KIND_LABELS": DataKind,
    "ATTEMPT_KIND_LABELS": AttemptKind,
    "RELATIVE_OUTCOME_LABELS": RelativeOutcome,
    "VISIT_REASON_LABELS": VisitReason,
    "VISIT_OUTCOME_LABELS": VisitOutcome,
    "ALARM_KIND_LABELS": AlarmKind,
    "OWN_LINE_REFUSAL_LABELS": OwnLineRefusal,
    "OWN_LINE_CALL_LABELS": OwnLineCall,
    "HOLD_KIND_LABELS": HoldKind,
    "ON_BEHALF_LABELS": OnBehalfOf,
    "CONSENT_CHANNEL_LABELS": ConsentChannel,
    "CONSENT_GAP_LABELS": ConsentGap,
    "AGREED_BY_LABELS": AgreedBy,
    "NEED_KIND_LABELS": NeedKind,
    "ORIENTATION_MODE_LABELS": OrientationMode,
    "TRANSFER_KIND_LABELS": TransferKind,
    "TRANSFER_STATE_LABELS": TransferState,
}


def test_the_dmt_histogram_has_a_name_per_bucket() -> None:
    assert len(labels.DMT_BUCKET_NAMES) == len(DMT_BUCKET_EDGES_S) + 1  # the last is open


def test_the_module_holds_only_these_maps() -> None:
    assert {name for name in vars(labels) if name.endswith("_LABELS")} == set(MAPS)


@pytest.mark.parametrize(("name", "enum"), MAPS.items())
def test_every_member_has_a_french_label(name: str, enum: type[StrEnum]) -> None:
    mapping = getattr(labels, name)
    assert set(mapping) == set(enum)
    assert all(isinstance(label, str) and label.strip() for label in mapping.values())


def test_every_campaign_setting_has_a_french_name() -> None:
    assert set(labels.CAMPAIGN_SETTING_NAMES) == set(FIELDS)


def test_every_selection_flag_has_a_french_name() -> None:
    assert set(labels.SELECTION_FLAG_NAMES) == set(FLAGS)
