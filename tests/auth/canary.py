"""The canary district of the authorisation tests: two stations' cases marked so leaks show.

Known answers:

* BA01 (Xin'an) holds ``XA-CANARY-1`` and ``XA-CANARY-2``; BA02 (Xixiang) holds
  ``XX-CANARY-1`` and ``XX-CANARY-2``; ``NS-CANARY-1`` has no station (could not be placed).
  All five lie in 2026-11-01 … 2026-11-12 (local time).
* Raw addresses carry the digit runs of :data:`RAW_ADDRESS_MARKERS`, which masking turns into
  ``*``; summaries start with ``SUMMARY-``. Any of these in a response means that personal
  details were shown; any ``XX-``/``NS-`` marker in a BA01 user's response means a leak.
* One user per role (``t-admin`` … ``t-analyst``, ``t-support``); the station roles belong
  to BA01, the support unit user to 治安管理大队 (ZAGL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
from sqlalchemy import select

from data.demo.baoan import STATIONS
from geo.h3cells import cell_to_str, latlng_to_cells

CENTRES = {code: centre for code, _, _, centre in STATIONS}
PASSWORD = "canary-password-123"
ORIGIN = "http://localhost"

#: Principal name → (user name, role, station).
PRINCIPALS: dict[str, tuple[str, str, str | None] | None] = {
    "anonymous": None,
    "administrator": ("t-admin", "administrator", None),
    "command_center": ("t-command", "command_center", None),
    "leadership": ("t-leader", "leadership", None),
    "station_chief": ("t-chief", "station_chief", "BA01"),
    "station_officer": ("t-officer", "station_officer", "BA01"),
    "analyst": ("t-analyst", "analyst", None),
    "support_unit": ("t-support", "support_unit", None),
}
#: Principal name → the support unit it answers for (issue 13).
UNITS: dict[str, str] = {"support_unit": "ZAGL"}
ROLES_SEEING_ALL = ("command_center", "leadership", "analyst")
STATION_ROLES = ("station_chief", "station_officer")

RAW_ADDRESS = {
    "XA-CANARY-1": "宝安区新安街道海旺社区兴华路8765401栋1201室",
    "XA-CANARY-2": "宝安区新安街道海旺社区兴华路8765402栋502室",
    "XX-CANARY-1": "宝安区西乡街道固戍社区固戍一路3322109栋302室",
    "XX-CANARY-2": "宝安区西乡街道固戍社区固戍一路3322108栋702室",
    "NS-CANARY-1": "宝安区某地5544301号",
}
#: Digit runs only a raw (unmasked) address shows.
RAW_ADDRESS_MARKERS = ("8765401", "8765402", "3322109", "3322108", "5544301")
SUMMARY_MARKER = "SUMMARY-"
BA02_MARKERS = ("XX-CANARY", "SUMMARY-XX", "3322109", "3322108")
UNPLACED_MARKERS = ("NS-CANARY", "SUMMARY-NS", "5544301")
INCIDENT_MARKERS = ("CANARY", SUMMARY_MARKER, *RAW_ADDRESS_MARKERS)


def _row(no: str, station: str | None, day: int, **fields: object) -> dict:
    lng, lat = CENTRES[station] if station else (None, None)
    return {
        "source_system": "test",
        "incident_no": no,
        "source_channel": "call_110",
        "category": "domestic_violence",
        "risk_level": "high",
        "reported_at": datetime(2026, 11, day, 4, 0),
        "address_raw": RAW_ADDRESS[no],
        "address_key": RAW_ADDRESS[no],
        "lat": lat,
        "lng": lng,
        "location_state": "located" if station else "unlocated",
        "station_code": station,
        "community": None,
        "status": "handling",
        "handled_at": None,
        "closed_at": None,
        "warning_letter": False,
        "protection_order": False,
        "minor_involved": False,
        "victim_key": None,
        "offender_key": None,
        "summary": f"SUMMARY-{no[:2]}-{no[-1]} 受害人电话13900000000",
        "created_at": None,
        "updated_at": None,
        **fields,
    }


ROWS = [
    _row("XA-CANARY-1", "BA01", 10),
    _row("XA-CANARY-2", "BA01", 11, category="family_dispute", risk_level="low"),
    _row("XX-CANARY-1", "BA02", 10),
    _row("XX-CANARY-2", "BA02", 12, category="relationship_dispute"),
    _row("NS-CANARY-1", None, 12),
]


def ba02_cells() -> tuple[str, ...]:
    """Hex ids (res 8 and 9) of the cell holding BA02's cases: only BA02 views show them."""
    lng, lat = CENTRES["BA02"]
    return tuple(cell_to_str(int(latlng_to_cells([lat], [lng], r)[0])) for r in (8, 9))


def frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    frame = pl.DataFrame(ROWS, infer_schema_length=None)
    lat = frame["lat"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lng = frame["lng"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    frame = frame.with_columns(
        pl.Series("h3_cell", latlng_to_cells(lat, lng)).replace(-1, None),
        pl.col("reported_at").dt.replace_time_zone("UTC"),
    )
    events = pl.DataFrame(
        {
            "incident_no": [r["incident_no"] for r in ROWS],
            "status": ["reported"] * len(ROWS),
            "at": [datetime(2026, 11, 10, 4, 0, tzinfo=UTC)] * len(ROWS),
            "department": ["police"] * len(ROWS),
            "note": ["接警登记"] * len(ROWS),
        }
    )
    visits = pl.DataFrame(
        schema={
            "incident_no": pl.String,
            "visited_at": pl.Datetime("us", "UTC"),
            "department": pl.String,
            "outcome": pl.String,
            "note": pl.String,
        }
    )
    return frame, events, visits


@dataclass
class Principal:
    """A test client logged in as one role (or anonymous), with what it should see."""

    name: str
    client: object
    username: str | None
    role: str | None


def sign_in(app, engine, username: str | None):
    """A test client with a live session for ``username`` (None: anonymous) and the headers a
    browser page of this server sends: same-origin ``Origin`` and the CSRF token."""
    from dashboard.web.auth import CSRF_COOKIE, SESSION_COOKIE
    from data.sessions import open_session
    from data.users import get_user

    client = app.server.test_client()
    client.environ_base["HTTP_ORIGIN"] = ORIGIN
    if username is not None:
        ticket = open_session(engine, get_user(engine, username).id)
        client.set_cookie(SESSION_COOKIE, ticket.token)
        client.set_cookie(CSRF_COOKIE, ticket.csrf_token)
        client.environ_base["HTTP_X_CSRFTOKEN"] = ticket.csrf_token
    return client


def response_text(response) -> str:
    """A response body as text, JSON re-encoded without ``\\u`` escapes (so markers match)."""
    body = response.get_data().decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return body


def audit_rows(engine, action: str | None = None) -> list[dict]:
    """The audit trail (optionally one action), oldest first."""
    from data.models import AuditEvent

    query = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
