"""Running an import: read, validate, write in batches, account for every row, audit.

:func:`ingest_rows` is the core that files and the push API share: raw text rows and a profile
in, the outcome of every row out. :func:`import_file` wraps it for a file: reading, the rejects
file, the summary and the audit trail.

Each batch is written in one transaction, so a killed import leaves whole batches behind and a
re-run finds them ``unchanged`` and completes the rest. Rows repeating an incident number are
merged in file order: the last one is the incident's state, the earlier ones are its history.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from data import audit
from data.access import CaseAccess, Scope
from data.importers.departments import dispatched
from data.importers.profiles import Profile, load_profile
from data.importers.pseudonyms import load_or_create_secret
from data.importers.readers import ROW_NUMBER, RawTable, read_table
from data.importers.validate import (
    KEEP_UNMATCHED,
    OUTPUT_COLUMNS,
    REJECT_COLUMNS,
    ROW,
    Context,
    RowWarning,
    Validated,
    validate_rows,
)
from data.settings import import_batch_pause
from data.store import (
    drop_incident_indexes,
    ensure_incident_indexes,
    located_addresses,
    postgres_bulk_load,
    upsert_incidents,
)
from data.tasks import open_imported_tasks
from data.warning_visits import start_missing_schedules

#: Incidents written per transaction.
DEFAULT_BATCH_SIZE = 50_000
#: A load at least this large, and at least as large as the table, rebuilds the secondary
#: indexes once at the end instead of updating them row by row (SQLite; several times faster).
BULK_LOAD_ROWS = 100_000
#: What can happen to a row; ``filtered`` rows are those the profile's [keep] rule leaves out.
OUTCOMES: tuple[str, ...] = ("inserted", "updated", "unchanged", "rejected", "filtered")
#: Audit actions written by an import.
AUDIT_IMPORT = "import"
AUDIT_IMPORT_STARTED = "import_started"
#: How many rejects the summary quotes, one line each.
REJECTS_QUOTED = 5

#: Called after each committed batch with (rows done, rows to write).
Progress = Callable[[int, int], None]
#: Told what a long import is doing now ("checking 1,000,000 rows", …).
Stage = Callable[[str], None]

_OUTCOME_SCHEMA = {
    ROW: pl.Int64,
    "incident_no": pl.String,
    "outcome": pl.String,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


@dataclass(frozen=True)
class IngestResult:
    """What happened to each row.

    Attributes
    ----------
    outcomes : polars.DataFrame
        ``row_number``, ``incident_no``, ``outcome`` (one of :data:`OUTCOMES`), and for
        rejected rows ``column``, ``value``, ``reason``; sorted by row number.
    warnings : list of RowWarning
        What was done to kept rows (values mapped to ``other``, coordinates fixed …).
    """

    outcomes: pl.DataFrame
    warnings: list[RowWarning]

    def counts(self) -> dict[str, int]:
        """Rows per outcome, every outcome present (zero when none)."""
        found = dict(self.outcomes.group_by("outcome").len().iter_rows())
        return {o: int(found.get(o, 0)) for o in OUTCOMES}


@dataclass
class ImportSummary:
    """The account of one file import: counts that add up to the rows read, and warnings."""

    path: Path
    profile: str
    source_system: str
    encoding: str | None
    rows_read: int
    blank_rows: list[int]
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    filtered: int
    warnings: list[RowWarning] = field(default_factory=list)
    rejects: pl.DataFrame | None = None
    rejects_path: Path | None = None
    seconds: float = 0.0
    #: Header names the file repeats, each with the names its copies were read as.
    repeated_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank_lines(self) -> int:
        """Blank lines skipped (not counted in :attr:`rows_read`)."""
        return len(self.blank_rows)

    @property
    def keep_unmatched(self) -> int:
        """How many ``[keep]`` values or patterns matched no row (the command exits 3)."""
        return sum(w.count for w in self.warnings if w.kind == KEEP_UNMATCHED)

    @property
    def balanced(self) -> bool:
        """Whether every row read is accounted for exactly once."""
        accounted = self.inserted + self.updated + self.unchanged + self.rejected + self.filtered
        return accounted == self.rows_read

    def as_dict(self) -> dict:
        """Counts and warnings as plain data (for the audit trail and the push API)."""
        return {
            "file": self.path.name,
            "profile": self.profile,
            "source_system": self.source_system,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "blank_lines": self.blank_lines,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "filtered": self.filtered,
            "warnings": {w.kind: w.count for w in self.warnings},
            "repeated_columns": self.repeated_columns,
            "seconds": round(self.seconds, 2),
        }

    def lines(self) -> list[str]:
        """The summary as the command line prints it."""
        rate = self.rows_read / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"{self.path.name} (profile {self.profile}, {self.encoding or 'binary'}): "
            f"{self.rows_read:,} rows read in {self.seconds:.1f} s ({rate:,.0f} rows/s)",
            f"  inserted {self.inserted:,} · updated {self.updated:,} · unchanged "
            f"{self.unchanged:,} · rejected {self.rejected:,}"
            + (
                f" · not kept by the profile {self.filtered:,} (--all keeps them)"
                if self.filtered
                else ""
            ),
        ]
        for name, copies in self.repeated_columns.items():
            out.append(
                f"  header: column {name!r} appears {len(copies)} times: read as "
                f"{', '.join(repr(c) for c in copies)} (a profile may name any of them)"
            )
        if self.blank_rows:
            shown = ", ".join(str(r) for r in self.blank_rows[:REJECTS_QUOTED])
            more = " …" if self.blank_lines > REJECTS_QUOTED else ""
            out.append(f"  blank lines skipped: {self.blank_lines:,} (rows {shown}{more})")
        for w in self.warnings:
            out.append(f"  warning: {w.message}")
        if self.rejects is not None and not self.rejects.is_empty():
            for row in self.rejects.head(REJECTS_QUOTED).iter_rows(named=True):
                out.append(f"  {reject_line(self.path, row)}")
            if self.rejected > REJECTS_QUOTED:
                out.append(f"  … and {self.rejected - REJECTS_QUOTED:,} more rejected rows")
        if self.rejects_path is not None and self.rejected:
            out.append(f"  rejected rows written to {self.rejects_path} (fix them and import it)")
        elif self.rejects_path is not None:
            out.append(f"  no rows rejected: {self.rejects_path} holds the header only")
        return out


def reject_line(path: Path | str, row: dict) -> str:
    """One line naming file, row, column, value and reason of a rejected row."""
    return (
        f"{Path(path).name}: row {row['row_number']}: column {row['column']}: "
        f"value {row['value']!r}: {row['reason']}"
    )


def build_context(engine: Engine) -> Context:
    """The installation facts validation needs: stored stations, secret, address look-up."""
    jurisdictions = CaseAccess(engine).stations(Scope(user="importer"))
    return Context(
        jurisdictions=jurisdictions,
        secret=load_or_create_secret(),
        lookup_addresses=lambda keys: located_addresses(engine, keys),
    )


def ingest_rows(
    engine: Engine,
    raw: pl.DataFrame,
    profile: Profile,
    *,
    keep_all: bool = False,
    context: Context | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    note: str | None = None,
    stage: Stage | None = None,
) -> IngestResult:
    """Validate raw rows and merge them into the store; the outcome of every row.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    raw : polars.DataFrame
        ``String`` source columns and the row number column
        :data:`~data.importers.readers.ROW_NUMBER`, as :func:`~data.importers.readers.read_table`
        gives them (:func:`~data.importers.readers.frame_from_records` builds it from JSON items).
    profile : Profile
    keep_all : bool
        Ignore the profile's ``[keep]`` rule.
    context : Context, optional
        Default :func:`build_context` (stored stations, the installation secret).
    batch_size : int
        Incidents per transaction.
    progress : callable, optional
        Called as ``progress(done, total)`` after each committed batch.
    note : str, optional
        Stored on the status events written.
    stage : callable, optional
        Told, in words, each step of a long import.

    Returns
    -------
    IngestResult
    """
    stage = stage or (lambda text: None)
    if batch_size < 1:
        raise ValueError(f"'batch_size' should be >= 1, got {batch_size}")
    context = context or build_context(engine)
    stage(f"checking {raw.height:,} rows")
    checked = validate_rows(raw, profile, context, keep_all=keep_all)
    valid = checked.incidents
    final = valid.unique(subset="incident_no", keep="last", maintain_order=True)
    written: list[pl.DataFrame] = []
    bulk = _is_bulk_load(engine, final.height)
    stage(f"writing {final.height:,} incidents")
    if bulk and engine.dialect.name == "postgresql":
        with postgres_bulk_load(engine) as conn:
            _write_batches(engine, final, batch_size, note, progress, written, conn)
            stage("rebuilding the incident indexes")
    else:
        if bulk:
            drop_incident_indexes(engine)
        try:
            _write_batches(engine, final, batch_size, note, progress, written, None)
        finally:
            if bulk:
                stage("rebuilding the incident indexes")
                ensure_incident_indexes(engine)
    if final.height and "warning_letter" in final.columns:
        # Every warning letter starts its visit schedule (告诫必访, issue 13).
        warned = final.filter(pl.col("warning_letter").fill_null(False))
        if warned.height:
            start_missing_schedules(engine, profile.source_system, warned["incident_no"].to_list())
    pairs, unknown = dispatched(raw, final, profile)
    if unknown is not None:
        checked.warnings.append(unknown)
    if pairs:  # 分流部门: each named department gets its task (issue 13), once
        open_imported_tasks(engine, profile.source_system, pairs, actor="importer")
    merged = _row_outcomes(valid, written)
    return IngestResult(_all_outcomes(merged, checked, raw, profile), checked.warnings)


def _all_outcomes(
    merged: pl.DataFrame, checked: Validated, raw: pl.DataFrame, profile: Profile
) -> pl.DataFrame:
    """Written, rejected and filtered rows in one frame, by row number, each with its number."""
    rejected = checked.rejects.with_columns(
        pl.lit(None, dtype=pl.String).alias("incident_no"), pl.lit("rejected").alias("outcome")
    )
    filtered = pl.DataFrame({ROW: checked.filtered}).with_columns(
        pl.lit(None, dtype=pl.String).alias("incident_no"), pl.lit("filtered").alias("outcome")
    )
    outcomes = pl.concat(
        [
            f.select(
                [pl.col(c) if c in f.columns else pl.lit(None).alias(c) for c in _OUTCOME_SCHEMA]
            ).cast(_OUTCOME_SCHEMA)
            for f in (merged, rejected, filtered)
        ]
    ).sort(ROW)
    source_no = profile.columns["incident_no"][0]
    if source_no not in raw.columns:
        return outcomes
    numbers = raw.select(pl.col(ROW_NUMBER).alias(ROW), pl.col(source_no).alias("_no"))
    return (
        outcomes.join(numbers, on=ROW, how="left", maintain_order="left")
        .with_columns(pl.coalesce("incident_no", "_no").alias("incident_no"))
        .drop("_no")
    )


def _write_batches(engine, final, batch_size, note, progress, written, conn) -> None:
    """Upsert ``final`` in batches (inside ``conn``'s transaction when given)."""
    pause = import_batch_pause()
    for start in range(0, final.height, batch_size):
        batch = final.slice(start, batch_size).drop(ROW)
        written.append(upsert_incidents(engine, batch, note=note, connection=conn))
        if progress is not None:
            progress(min(start + batch_size, final.height), final.height)
        if pause:
            time.sleep(pause)


def _is_bulk_load(engine: Engine, rows: int) -> bool:
    """A load at least as large as what is stored (a first load): indexes are built after."""
    if engine.dialect.name not in ("sqlite", "postgresql") or rows < BULK_LOAD_ROWS:
        return False
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM incident").scalar_one()
    return rows >= stored


def _row_outcomes(valid: pl.DataFrame, written: list[pl.DataFrame]) -> pl.DataFrame:
    """Per-row outcome: the last row of an incident gets the store's verdict; earlier rows of
    the same incident in the file are its history (inserted first, then updated)."""
    if not written:
        return pl.DataFrame(schema={ROW: pl.Int64, "incident_no": pl.String, "outcome": pl.String})
    verdict = pl.concat(written)
    repeated = valid["incident_no"].is_duplicated()
    if not repeated.any():
        return valid.select(ROW, "incident_no").with_columns(verdict["outcome"])
    # Rows of an incident that appears more than once: compare each with the one before.
    compared = [c for c in OUTPUT_COLUMNS if c not in ("source_system", "incident_no")]
    rows = (
        valid.filter(repeated)
        .select(ROW, "incident_no", pl.struct(compared).hash().alias("_hash"))
        .join(
            verdict.rename({"outcome": "_final"}),
            on="incident_no",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.int_range(pl.len()).over("incident_no").alias("_k"),
            (pl.col("_hash") != pl.col("_hash").shift(1).over("incident_no")).alias("_differs"),
        )
    )
    outcome = (
        pl.when(pl.col("_final") == "unchanged")
        .then(pl.lit("unchanged"))
        .when(pl.col("_k") == 0)
        .then(pl.col("_final"))
        .when(pl.col("_differs"))
        .then(pl.lit("updated"))
        .otherwise(pl.lit("unchanged"))
    )
    single = valid.filter(~repeated).select(ROW, "incident_no")
    single = single.join(verdict, on="incident_no", how="left", maintain_order="left")
    repeats = rows.select(ROW, "incident_no", outcome.alias("outcome"))
    return pl.concat([single, repeats]).sort(ROW)


def import_file(
    engine: Engine,
    path: Path | str,
    profile: Profile | str,
    mapping: Path | str | None = None,
    rejects_path: Path | str | None = None,
    keep_all: bool = False,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    user: str = "cli",
    stage: Stage | None = None,
    header_only_rejects: bool = True,
) -> ImportSummary:
    """Import one file of incidents.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A migrated database.
    path : path-like
        CSV (UTF-8, UTF-8 with BOM or GB18030/GBK), ``.xlsx``, Parquet or GeoJSON.
    profile : Profile or str
        A loaded profile, a shipped profile name or a ``.toml`` path.
    mapping : path-like, optional
        A mapping file laid over the profile (only when ``profile`` is a name or path).
    rejects_path : path-like, optional
        Where rejected rows are written (CSV, UTF-8 with BOM): the original columns plus
        ``row_number``, ``column``, ``value``, ``reason``. Always written when given: with the
        header only when no row is rejected (unless ``header_only_rejects`` is false), so a
        job's paperwork is complete either way.
    keep_all : bool
        Ignore the profile's ``[keep]`` rule.
    progress : callable, optional
        ``progress(done, total)`` after each committed batch.
    batch_size : int
        Incidents per transaction.
    user : str
        Who imports, for the audit trail.
    stage : callable, optional
        Told, in words, each step of a long import.
    header_only_rejects : bool
        Write the rejects file when no row is rejected (the command line's default path,
        chosen without ``--rejects``, is written only when some are).

    Returns
    -------
    ImportSummary

    Raises
    ------
    ReadError, ProfileError, ValidationError, SecretError
        With a one-line message naming the file and the problem.
    """
    started = time.perf_counter()
    path = Path(path)
    if not isinstance(profile, Profile):
        profile = load_profile(profile, mapping)
    elif mapping is not None:
        raise ValueError("'mapping' applies to a profile name or path, not a loaded Profile")
    table = read_table(path, header_row=profile.header_row, sheet=profile.sheet)
    ensure_incident_indexes(engine)  # a bulk load killed before its end left them out
    audit.record(
        engine,
        user,
        AUDIT_IMPORT_STARTED,
        target=f"file:{path.name}",
        detail=json.dumps({"profile": profile.name, "rows": table.frame.height}),
    )
    result = ingest_rows(
        engine,
        table.frame,
        profile,
        keep_all=keep_all,
        batch_size=batch_size,
        progress=progress,
        note=f"import {path.name}"[:300],
        stage=stage,
    )
    counts = result.counts()
    rejects = result.outcomes.filter(pl.col("outcome") == "rejected").select(REJECT_COLUMNS)
    written_to = None
    if rejects_path is not None and (header_only_rejects or not rejects.is_empty()):
        written_to = write_rejects(table, rejects, Path(rejects_path))
    summary = ImportSummary(
        path=path,
        profile=profile.name,
        source_system=profile.source_system,
        encoding=table.encoding,
        rows_read=table.frame.height,
        blank_rows=table.blank_rows,
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        rejected=counts["rejected"],
        filtered=counts["filtered"],
        warnings=result.warnings,
        rejects=rejects,
        rejects_path=written_to,
        seconds=time.perf_counter() - started,
        repeated_columns=table.repeated,
    )
    audit.record(
        engine,
        user,
        AUDIT_IMPORT,
        target=f"file:{path.name}",
        detail=json.dumps(summary.as_dict(), ensure_ascii=False),
    )
    return summary


def write_rejects(table: RawTable, rejects: pl.DataFrame, path: Path) -> Path:
    """Write rejected rows for correction: original columns, then row, column, value, reason.

    The file is UTF-8 with a BOM so that Excel opens the Chinese text correctly; the added
    columns are ignored by a profile, so the corrected file can be imported as it is.

    Parameters
    ----------
    table : RawTable
        The file as read (the original cells of each rejected row come from it).
    rejects : polars.DataFrame
        :data:`~data.importers.validate.REJECT_COLUMNS`, one row per rejected row.
    path : pathlib.Path
        Where to write (its folder is created).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    # A rejects file imported again carries the last run's notes: they are replaced.
    columns = [c for c in table.columns if c not in REJECT_COLUMNS]
    original = table.frame.select(pl.col(ROW_NUMBER).alias(ROW), *columns)
    out = rejects.join(original, on=ROW, how="left").select(*columns, *REJECT_COLUMNS)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(path, include_bom=True)
    return path


def default_rejects_path(path: Path | str, directory: Path | None = None) -> Path:
    """``<name>.rejects-<UTC time>.csv`` in ``directory`` (default: beside the file)."""
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return (directory or path.parent) / f"{path.stem}.rejects-{stamp}.csv"
