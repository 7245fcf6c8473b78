"""The agent's desk and the staff's operations, as services the web layer calls: the call's
context and the screen's payload (:mod:`~dialer.desk.call_view`), the call sheet's use case
from answers to score and alerts (:mod:`~dialer.desk.call_sheets`), accounts and passwords,
and the steering operations on agents, teams and the register
(:mod:`~dialer.desk.operations`). It never imports :mod:`dialer.web`."""
