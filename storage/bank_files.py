"""Writing many bank items at once, all or nothing (used by the import).

Each file is written atomically by ``scoring.bank.save_item``; if any item
fails, the items already written by this call are removed again, so a failed
import leaves the bank exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from scoring.bank import BankWriteError, delete_item, save_item
from scoring.models import Item


def add_items(root: Path | str, items: Iterable[Item]) -> list[str]:
    """Add new items (never overwriting an existing id); return their ids.

    Raises ``BankWriteError`` and rolls back on any failure.
    """
    root = Path(root)
    items = list(items)
    taken = [i.id for i in items if (root / "questions" / f"{i.id}.yaml").exists()
             or (root / "questions" / f"{i.id}.yml").exists()]
    if taken:
        raise BankWriteError(f"already in the bank: {', '.join(taken)}; nothing was imported")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise BankWriteError("the same id appears twice; nothing was imported")
    written: list[str] = []
    try:
        for item in items:
            save_item(root, item)
            written.append(item.id)
    except Exception as exc:
        # the failing item may have got as far as its rubric file: remove it with the rest
        for question_id in [*written, item.id]:
            delete_item(root, question_id)
        if isinstance(exc, BankWriteError):
            raise
        raise BankWriteError(f"could not write {item.id!r} ({exc}); nothing was imported") from exc
    return written
