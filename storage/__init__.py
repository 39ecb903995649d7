"""Storage: users, drafts and attempts through SQLAlchemy (SQLite by default, any URL by ``DATABASE_URL``).

The database holds who practised what and the feedback they were given; the
question bank stays in its YAML files and is never copied here.

>>> import storage  # doctest: +SKIP
>>> user = storage.default_user_id()  # doctest: +SKIP
>>> draft = storage.start_or_resume_draft(user, item.id, item.version, 11)  # doctest: +SKIP
>>> storage.save_draft_text(user, draft.id, "An answer so far")  # doctest: +SKIP
>>> attempt = storage.submit_attempt(user, draft.id, text, feedback)  # doctest: +SKIP
"""

from storage.accounts import (
    AccountError,
    LoginFailed,
    LoginThrottled,
    UserRecord,
    authenticate,
    create_account,
    create_mentor,
    end_session,
    list_accounts,
    multi_user_enabled,
    resolve_session,
    set_password,
    set_role,
    signup_open,
    start_session,
)
from storage.attempts import (
    DraftNotFound,
    attempted_question_ids,
    count_attempts,
    get_attempt,
    list_attempts,
    submit_attempt,
)
from storage.drafts import (
    clean_text,
    discard_draft,
    get_draft,
    get_open_draft,
    list_open_drafts,
    save_draft_text,
    start_or_resume_draft,
)
from storage.engine import database_url, dispose_engines, get_engine, journal_mode
from storage.records import AttemptRecord, DraftRecord
from storage.users import default_user_id, ensure_user

__all__ = [
    "AttemptRecord", "DraftRecord", "DraftNotFound",
    "database_url", "get_engine", "dispose_engines", "journal_mode",
    "default_user_id", "ensure_user",
    "AccountError", "LoginFailed", "LoginThrottled", "UserRecord", "multi_user_enabled", "signup_open",
    "create_account", "create_mentor", "authenticate", "set_role", "set_password", "list_accounts",
    "start_session", "resolve_session", "end_session",
    "start_or_resume_draft", "get_open_draft", "get_draft", "list_open_drafts",
    "save_draft_text", "discard_draft", "clean_text",
    "submit_attempt", "get_attempt", "list_attempts", "count_attempts", "attempted_question_ids",
]
