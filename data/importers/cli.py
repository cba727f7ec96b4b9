"""Command-line commands ``import`` and ``stations``, for ``app.py`` to mount.

    python app.py import FILE --profile NAME [--mapping FILE] [--rejects FILE] [--all]
    python app.py stations FILE --code-field F --name-field F [--name-en-field F] [--layer L]
                                  [--parent-field F]

Problems the user can fix are printed as one line naming the file, row, column, value and
reason, never as a stack trace. Exit status: 0 all rows accounted for and none rejected,
:data:`EXIT_REJECTS` some rows rejected (written to the rejects file) or a ``[keep]`` value or
pattern matched no row, :data:`EXIT_ERROR` the command failed. Heavy modules are imported
only when a command runs, so ``app.py`` starts fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

#: Sub-commands this module adds.
IMPORT_COMMANDS: tuple[str, ...] = ("import", "stations", "places")
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REJECTS = 3
_BAR_WIDTH = 30


def add_import_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` and ``stations`` sub-commands to an argparse sub-parser set.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers(dest="command")`` returned.
    """
    p_import = subparsers.add_parser(
        "import",
        help="import incidents from a CSV, Excel, Parquet or GeoJSON file",
        description="Import incidents. Every row is inserted, merged as an update, left "
        "unchanged or rejected; rejected rows go to a CSV you can fix and import again.",
    )
    p_import.add_argument("file", type=Path, help="the file to import")
    p_import.add_argument(
        "--profile", required=True, help="mapping profile: cn-110, chicago, or a .toml file"
    )
    p_import.add_argument("--mapping", type=Path, help="TOML file laid over the profile")
    p_import.add_argument(
        "--rejects",
        type=Path,
        help="where to write rejected rows, always written (the header only when none are "
        "rejected; default: FILE's name + .rejects-TIME.csv beside it)",
    )
    p_import.add_argument(
        "--all",
        dest="keep_all",
        action="store_true",
        help="keep rows the profile's [keep] rule leaves out (chicago: non-domestic crimes)",
    )
    p_import.add_argument("--batch-size", type=int, default=None, help=argparse.SUPPRESS)

    p_stations = subparsers.add_parser(
        "stations",
        help="import station jurisdictions from GeoJSON, Shapefile or GeoPackage",
        description="Import station polygons (any CRS; stored in WGS-84). Stations with the "
        "same code are replaced.",
    )
    p_stations.add_argument("file", type=Path, help="the vector file")
    p_stations.add_argument("--code-field", required=True, help="attribute with the code")
    p_stations.add_argument("--name-field", required=True, help="attribute with the name")
    p_stations.add_argument("--name-en-field", help="attribute with the English name")
    p_stations.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    p_stations.add_argument(
        "--parent-field",
        help="attribute with the code of the stored area each station lies in "
        "(e.g. a beat's district; import the areas first)",
    )

    p_places = subparsers.add_parser(
        "places",
        help="import places (communities, compounds, urban villages, landmarks, roads) to name "
        "map cells by and label maps",
        description="Import places from GeoJSON, Shapefile, GeoPackage (any CRS) or a CSV/Excel "
        "table with coordinates. The places loaded before from a file of the same name are "
        "replaced; bad features are listed and skipped.",
    )
    p_places.add_argument("file", type=Path, help="the file")
    p_places.add_argument("--name-field", required=True, help="field with the (Chinese) name")
    p_places.add_argument(
        "--kind-field",
        help="field with the kind: community/社区, compound/小区, urban_village/城中村, "
        "landmark/地标, road/道路, street/街道",
    )
    p_places.add_argument("--kind", help="one kind for every feature (instead of --kind-field)")
    p_places.add_argument("--name-en-field", help="field with the English name")
    p_places.add_argument("--lng-field", help="CSV/Excel: longitude column (default: detected)")
    p_places.add_argument("--lat-field", help="CSV/Excel: latitude column (default: detected)")
    p_places.add_argument(
        "--datum",
        default="wgs84",
        choices=["wgs84", "gcj02", "bd09"],
        help="datum of the coordinates (gcj02: Amap/Tencent, bd09: Baidu); default wgs84",
    )
    p_places.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")


def run_command(args: argparse.Namespace) -> int:
    """Run the ``import`` or ``stations`` command parsed into ``args``; returns the exit status.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments; ``args.command`` is one of :data:`IMPORT_COMMANDS`.

    Returns
    -------
    int
        :data:`EXIT_OK`, :data:`EXIT_REJECTS` or :data:`EXIT_ERROR`.
    """
    try:
        if args.command == "import":
            return _import(args)
        if args.command == "stations":
            return _stations(args)
        if args.command == "places":
            return _places(args)
        _error(f"unknown command {args.command!r}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted: batches already written are kept; run the command again to finish")
        return EXIT_ERROR
    except Exception as exc:  # the user gets one line, never a stack trace
        _error(_describe(exc))
        return EXIT_ERROR


def _import(args: argparse.Namespace) -> int:
    from data.database import engine, upgrade
    from data.importers.run import DEFAULT_BATCH_SIZE, default_rejects_path, import_file

    if not args.file.is_file():
        _error(f"{args.file}: no such file")
        return EXIT_ERROR
    eng = engine()
    upgrade(eng)
    rejects = args.rejects or default_rejects_path(args.file, _writable_dir(args.file.parent))
    _note(f"reading {args.file} …")
    summary = import_file(
        eng,
        args.file,
        args.profile,
        mapping=args.mapping,
        rejects_path=rejects,
        keep_all=args.keep_all,
        progress=_progress if sys.stderr.isatty() else None,
        batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
        user=_user(),
        stage=lambda text: _note(f"{text} …"),
        header_only_rejects=args.rejects is not None,
    )
    print("\n".join(summary.lines()))
    if not summary.balanced:  # pragma: no cover - a bug, but say so rather than hide it
        _error("the counts do not add up to the rows read; please report this")
        return EXIT_ERROR
    return EXIT_REJECTS if summary.rejected or summary.keep_unmatched else EXIT_OK


def _stations(args: argparse.Namespace) -> int:
    from data.database import engine, upgrade
    from data.importers.stations import import_stations

    eng = engine()
    upgrade(eng)
    summary = import_stations(
        eng,
        args.file,
        args.code_field,
        args.name_field,
        name_en_field=args.name_en_field,
        layer=args.layer,
        user=_user(),
        parent_field=args.parent_field,
    )
    print("\n".join(summary.lines()))
    return EXIT_OK


def _places(args: argparse.Namespace) -> int:
    from data.database import engine, upgrade
    from data.importers.places import import_places

    eng = engine()
    upgrade(eng)
    summary = import_places(
        eng,
        args.file,
        user=_user(),
        name_field=args.name_field,
        kind_field=args.kind_field,
        kind=args.kind,
        name_en_field=args.name_en_field,
        lng_field=args.lng_field,
        lat_field=args.lat_field,
        datum=args.datum,
        layer=args.layer,
    )
    print("\n".join(summary.lines()))
    return EXIT_REJECTS if summary.problems else EXIT_OK


def _describe(exc: Exception) -> str:
    """One line for the user: our own errors already name file, row, column and value."""
    from sqlalchemy.exc import SQLAlchemyError

    from data.importers.places import PlaceImportError
    from data.importers.profiles import ProfileError
    from data.importers.pseudonyms import SecretError
    from data.importers.readers import ReadError
    from data.importers.stations import StationImportError
    from data.importers.validate import ValidationError
    from data.settings import SettingsError

    own = (
        ReadError,
        ProfileError,
        ValidationError,
        SecretError,
        StationImportError,
        PlaceImportError,
        SettingsError,
    )
    if isinstance(exc, own):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        first = (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0]
        return f"database: {first}"
    if isinstance(exc, OSError):
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return f"unexpected {type(exc).__name__}: {exc}"


def _writable_dir(directory: Path) -> Path:
    return directory if os.access(directory, os.W_OK) else Path.cwd()


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def _progress(done: int, total: int) -> None:
    filled = int(_BAR_WIDTH * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _note(text: str) -> None:
    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)


def _error(text: str) -> None:
    print(f"error: {text}", file=sys.stderr, flush=True)
