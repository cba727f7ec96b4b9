"""Typed SQLAlchemy 2.x models of the incident store.

Times are stored as naive UTC ``DateTime`` values (SQLite has no time zone type); the
dashboard converts them to the installation's zone for display. Personal identifiers are
never stored: only keyed pseudonyms (``victim_key``/``offender_key``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every Anning table."""


class Station(Base):
    """A police station (派出所) and the jurisdiction it answers for.

    Stations may nest: ``parent_code`` names the area a station lies in (a Chicago beat's
    district). A station that is some station's parent is an *area*; the others are *leaves*,
    and incidents are placed in leaves. Stations without a parent and without children (Bao'an's
    ten) are flat leaves.
    """

    __tablename__ = "station"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    #: Jurisdiction polygon as GeoJSON geometry text, WGS-84 (lng, lat order).
    boundary_geojson: Mapped[str] = mapped_column(Text)
    #: The area this station lies in, or None for a top-level station.
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("station.code"), default=None)


class Place(Base):
    """A named place users find their way by: a street office's area (街道), a community
    (社区), a compound (小区), an urban village (城中村), a landmark or a road.

    Loaded with ``python app.py places FILE`` (:mod:`data.importers.places`); the demo ships
    Bao'an's. Used to name cells, hot spots and addresses (:mod:`geo.places`) and to label maps.
    """

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100), default=None)
    #: One of :data:`geo.places.KINDS`.
    kind: Mapped[str] = mapped_column(String(20), index=True)
    #: Point, line or polygon as GeoJSON geometry text, WGS-84 (lng, lat order).
    geometry_geojson: Mapped[str] = mapped_column(Text)
    #: The station whose jurisdiction holds it (optional).
    station_code: Mapped[str | None] = mapped_column(String(32), default=None)
    #: The file (or ``demo``) it came from: loading that file again replaces its places.
    source: Mapped[str] = mapped_column(String(200), index=True)


class StoreRevision(Base):
    """One row: a counter raised by triggers on every change to ``incident``, and its row count.

    Lets every worker's snapshot learn whether anything changed with one primary-key read
    (migration 0006 holds the triggers).
    """

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    incidents: Mapped[int] = mapped_column(BigInteger)


class Incident(Base):
    """One reported incident, in the canonical form every importer produces."""

    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("source_system", "incident_no", name="uq_incident_source_no"),
        Index("ix_incident_reported_at", "reported_at"),
        Index("ix_incident_station_reported", "station_code", "reported_at"),
        Index("ix_incident_h3_cell", "h3_cell"),
        Index("ix_incident_address_key", "address_key"),
        Index("ix_incident_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The system the incident came from (``demo``, ``110``, ``chicago`` …).
    source_system: Mapped[str] = mapped_column(String(32))
    #: The incident id in that system (警情编号).
    incident_no: Mapped[str] = mapped_column(String(64))
    source_channel: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(8))
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    address_raw: Mapped[str | None] = mapped_column(String(300))
    address_key: Mapped[str | None] = mapped_column(String(300))
    #: WGS-84 coordinates of a ``located`` incident; null for every other one, so that no
    #: map or layer reads a point that is not located.
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    #: The coordinates the source gave a row that is not located (``outside``: far away,
    #: another province; ``unlocated``: ``(0, 0)``, no datum), as written; null otherwise.
    source_lng: Mapped[float | None] = mapped_column(Float)
    source_lat: Mapped[float | None] = mapped_column(Float)
    #: H3 resolution-9 cell as a signed 64-bit integer; coarser cells derive from it.
    h3_cell: Mapped[int | None] = mapped_column(BigInteger)
    location_state: Mapped[str] = mapped_column(String(16), default="located")
    station_code: Mapped[str | None] = mapped_column(ForeignKey("station.code"))
    community: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    warning_letter: Mapped[bool] = mapped_column(Boolean, default=False)
    protection_order: Mapped[bool] = mapped_column(Boolean, default=False)
    minor_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    victim_key: Mapped[str | None] = mapped_column(String(64))
    offender_key: Mapped[str | None] = mapped_column(String(64))
    #: Free-text summary (简要案情): sensitive, masked by default in the interface.
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    station: Mapped[Station | None] = relationship()
    status_events: Mapped[list[StatusEvent]] = relationship(
        back_populates="incident", order_by="StatusEvent.at"
    )
    follow_up_visits: Mapped[list[FollowUpVisit]] = relationship(
        back_populates="incident", order_by="FollowUpVisit.visited_at"
    )


class StatusEvent(Base):
    """A step of an incident's lifecycle: it entered ``status`` at ``at`` (UTC)."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_incident", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    #: The incident's number, beside its id: the distribution column on Citus (migration 0011).
    incident_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    department: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(300))

    incident: Mapped[Incident] = relationship(back_populates="status_events")


class FollowUpVisit(Base):
    """A follow-up visit (回访) to the people of an incident."""

    __tablename__ = "follow_up_visit"
    __table_args__ = (Index("ix_follow_up_incident", "incident_id", "visited_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    #: The incident's number, beside its id: the distribution column on Citus (migration 0011).
    incident_no: Mapped[str] = mapped_column(String(64))
    visited_at: Mapped[datetime] = mapped_column(DateTime)
    department: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(300))

    incident: Mapped[Incident] = relationship(back_populates="follow_up_visits")


class AuditEvent(Base):
    """One entry of the append-only audit trail: who did what, when, from where."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_action_addr_at", "action", "remote_addr", "at"),
        Index("ix_audit_event_action_user_at", "action", "user", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    #: The hash chain (:mod:`data.audit_chain`): the previous event's hash and this one's.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The head of the audit hash chain (one row, id 1), and the lock its writers take."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)


class StorageProbe(Base):
    """One row ``/healthz`` rewrites to learn whether the storage takes writes."""

    __tablename__ = "storage_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    probed_at: Mapped[datetime] = mapped_column(DateTime)


class LoginThrottle(Base):
    """Failed logins of one source address in its current window (:mod:`data.login_throttle`)."""

    __tablename__ = "login_throttle"

    remote_addr: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    """A person who may log in, with one role and, for station roles, one station.

    Only an argon2id hash of the password is stored. ``failed_logins`` counts failures in a
    row; ``locked_until`` (UTC) is set when they reach the limit. ``demo`` marks the demo
    users, which exist only while the installation is in demo mode.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    station_code: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    #: Source addresses of the current run of failures, comma-separated (a lock needs two).
    failed_from: Mapped[str | None] = mapped_column(String(400))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The support unit a ``support_unit`` user answers for (migration 0009).
    unit_code: Mapped[str | None] = mapped_column(String(32), default=None)


class UserSession(Base):
    """A logged-in browser: the hash of its cookie token, its CSRF token and when it was used.

    The cookie carries a random token; only its SHA-256 is stored, so a copy of the database
    cannot be replayed as a live session.
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token another system (the 110 platform) pushes incidents with.

    Only the SHA-256 of the token is stored: it is shown once, when created, and a copy of
    the database cannot be used to push. ``profile`` names the mapping profile its pushes
    are read with (and so the ``source_system`` they are stored under); a token with
    ``revoked_at`` set is refused.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    profile: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


# -- closing the loop (issue 13): support requests, department tasks, warning follow-ups -----
# Tables that refer to an incident carry its ``incident_no`` besides the id, so a distributed
# store (Citus) can co-locate them with ``incident`` by that number.


class SupportUnit(Base):
    """A unit a station may ask for support (治安管理大队, 指挥中心 …), configured per
    installation; each has its own ``support_unit`` users."""

    __tablename__ = "support_unit"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SupportRequest(Base):
    """A station's request for support (派出所请求支援) and its clocks.

    ``version`` rises with every change: a change is written only if the version the actor
    read is still the stored one, so two people acting at once never overwrite each other.
    """

    __tablename__ = "support_request"
    __table_args__ = (
        Index("ix_support_request_unit_state", "unit_code", "state"),
        Index("ix_support_request_station", "station_code", "requested_at"),
        Index("ix_support_request_incident_no", "incident_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("support_unit.code"))
    #: What the request is about: ``household``, ``address``, ``case`` or ``warning``.
    subject_kind: Mapped[str] = mapped_column(String(16))
    #: The case the request was filed from (its id and number).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id", ondelete="SET NULL"))
    incident_no: Mapped[str | None] = mapped_column(String(64))
    #: Comma-separated reason codes (see :data:`data.loop_vocab.SUPPORT_REASONS`).
    reason_codes: Mapped[str] = mapped_column(String(200))
    reason_text: Mapped[str] = mapped_column(String(500))
    urgency: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    #: When the response clock last started: filing, or the last reopening.
    clock_started_at: Mapped[datetime] = mapped_column(DateTime)
    response_due_at: Mapped[datetime] = mapped_column(DateTime)
    #: First answer (accepted or declined): stops the response clock.
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    support_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime)
    feedback_text: Mapped[str | None] = mapped_column(String(1000))
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SupportRequestIncident(Base):
    """An incident attached to a support request (the household's or address's history)."""

    __tablename__ = "support_request_incident"
    __table_args__ = (Index("ix_support_linked_incident_no", "incident_no"),)

    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    incident_no: Mapped[str] = mapped_column(String(64))


class SupportRequestEvent(Base):
    """One step in a support request's history: who moved it from which state to which."""

    __tablename__ = "support_request_event"
    __table_args__ = (Index("ix_support_request_event_request", "request_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id", ondelete="CASCADE"))
    incident_no: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(1000))


class DepartmentTask(Base):
    """A case dispatched to a department (公安、妇联、司法、法院、社区) with its clock."""

    __tablename__ = "department_task"
    __table_args__ = (
        Index("ix_department_task_incident_no", "incident_no"),
        Index("ix_department_task_station", "station_code", "department", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    incident_no: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    #: ``open`` or ``done``.
    state: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: What was done last (visit, mediation, referral, protection_order).
    last_action: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class WarningFollowUp(Base):
    """The visit schedule a warning letter (告诫书) starts: 告诫必访.

    Visits themselves are :class:`FollowUpVisit` rows of the incident; the schedule says when
    the first is due and how often the next ones are, until ``ends_at``.
    """

    __tablename__ = "warning_follow_up"
    __table_args__ = (
        UniqueConstraint("incident_id", name="uq_warning_follow_up_incident"),
        Index("ix_warning_follow_up_incident_no", "incident_no"),
        Index("ix_warning_follow_up_station", "station_code", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    incident_no: Mapped[str] = mapped_column(String(64))
    station_code: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    first_visit_days: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    #: Pseudonyms of the people tagged for focused visits (标签人员).
    victim_key: Mapped[str | None] = mapped_column(String(64))
    offender_key: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
