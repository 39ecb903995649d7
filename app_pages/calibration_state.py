"""The mentor's calibration the app marks with, if one is configured.

The file is ``$MAINS_CALIBRATION`` if set, else ``data/calibration.mcal`` beside
the code (the Calibration page writes it).  It is loaded once per process with
``st.cache_resource``, keyed on the path, size and mtime, so a calibration saved
or removed from the Calibration page takes effect on the next rerun without a
restart, while an unchanged file is never read twice.

A file that cannot be used (not a calibration, damaged, or failing when applied)
never stops an answer being marked: the scorer's own marks are kept and the
aspirant is told once per session, in a toast (a toast survives the rerun that
follows Submit; an ``st.warning`` drawn there would vanish with it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import streamlit as st

if TYPE_CHECKING:
    from scoring.calibrate import Calibration
    from scoring.feedback import Feedback
    from scoring.models import Item

_LOG = logging.getLogger(__name__)

DEFAULT_CALIBRATION_PATH = Path(__file__).resolve().parent.parent / "data" / "calibration.mcal"


class CalibrationFile(NamedTuple):
    """What is at the configured path: the calibration, or why it cannot be used (both None: no file)."""

    path: Path
    calibration: Calibration | None
    problem: str | None
    signature: tuple | None  # (path, mtime_ns, size) of the file read


def calibration_path() -> Path:
    """``$MAINS_CALIBRATION``, or ``data/calibration.mcal`` under the repository."""
    configured = os.environ.get("MAINS_CALIBRATION", "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_CALIBRATION_PATH


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, mtime_ns: int, size: int) -> tuple[Calibration | None, str | None]:
    from scoring.calibrate import CalibrationError, load_calibration

    try:
        return load_calibration(path), None
    except CalibrationError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a calibration must never stop marking
        _LOG.exception("loading calibration %s failed", path)
        return None, f"{Path(path).name}: cannot be loaded ({type(exc).__name__})"


def calibration_file() -> CalibrationFile:
    """The configured calibration and any problem with it; no UI."""
    path = calibration_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        return CalibrationFile(path, None, None, None)
    except OSError as exc:
        return CalibrationFile(path, None, f"cannot read {path}: {exc.strerror or exc}", None)
    if not path.is_file():
        return CalibrationFile(path, None, f"{path} is not a file", None)
    signature = (str(path), info.st_mtime_ns, info.st_size)
    calibration, problem = _load(*signature)
    return CalibrationFile(path, calibration, problem, signature)


def _warn_once(signature: tuple, problem: str) -> None:
    warned = st.session_state.setdefault("calibration_warned", set())
    if signature in warned:
        return
    warned.add(signature)
    st.toast(f"Marked without your mentor's calibration, so these are the scorer's own marks. {problem}",
             icon=":material/warning:", duration="long")


def current_calibration() -> Calibration | None:
    """The calibration to mark with, or None (none configured, or unusable: said once per session)."""
    found = calibration_file()
    if found.problem:
        _warn_once(found.signature or (str(found.path),), found.problem)
    return found.calibration


def calibrate_feedback(feedback: Feedback, item: Item, answer: str) -> Feedback:
    """``feedback`` with the mentor's calibrated marks when a calibration is configured and usable."""
    calibration = current_calibration()
    if calibration is None:
        return feedback
    try:
        return calibration.apply(feedback, item, answer)
    except Exception as exc:  # noqa: BLE001 - e.g. a file made by another scikit-learn: keep the scorer's marks
        _LOG.exception("applying calibration %s failed", calibration_path())
        found = calibration_file()
        _warn_once(found.signature or (str(found.path),), f"it failed on this answer ({type(exc).__name__})")
        return feedback
