"""Tables that fit the screen: a wide table where it fits, a compact one (fewer, narrower columns) on a phone.

A page draws both versions of a table with ``wide_or_compact`` and injects ``narrow_css`` once;
CSS container queries then show whichever fits the container's width, so neither scrolls sideways.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st


#: the data grid's 1 px border either side, outside its columns
GRID_BORDER = 2


def wide_width(columns: dict) -> int:
    """A wide table's width in px: its columns' widths and the grid's border (the width ``narrow_css`` needs)."""
    return sum(c["width"] for c in columns.values()) + GRID_BORDER


def narrow_css(widths: dict[str, int]) -> str:
    """Container queries that show each container's ``_wide`` child where it fits, else its ``_compact`` one.

    ``widths`` maps each ``wide_or_compact`` key to its wide table's width in px.  The hidden child
    is hidden with the layout wrapper Streamlit puts round a keyed container, so it takes no space;
    ``display: none`` also takes it out of the page for screen readers.
    """
    def hide(key: str) -> str:
        return f'.st-key-{key}, [data-testid="stLayoutWrapper"]:has(> .st-key-{key}) {{ display: none; }}'

    rules = [", ".join(f".st-key-{key}" for key in widths) + " { container-type: inline-size; }"]
    for key, width in widths.items():
        rules.append(f"@container (max-width: {width - 1}px) {{ {hide(key + '_wide')} }}")
        rules.append(f"@container (min-width: {width}px) {{ {hide(key + '_compact')} }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def wide_or_compact(key: str, wide: pd.DataFrame, wide_columns: dict, compact: pd.DataFrame,
                    compact_columns: dict) -> None:
    """Both tables, each in its own container inside ``key``; ``narrow_css`` shows whichever fits.

    The tables' keys are ``<key>_wide_table`` and ``<key>_compact_table``; each shows only the
    columns named in its ``column_config`` mapping, in that order.
    """
    with st.container(key=key):
        for size, frame, columns in (("wide", wide, wide_columns), ("compact", compact, compact_columns)):
            with st.container(key=f"{key}_{size}"):
                st.dataframe(frame[list(columns)], hide_index=True, key=f"{key}_{size}_table", column_config=columns)
