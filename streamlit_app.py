"""UPSC Mains answer-writing practice: the router.

    streamlit run streamlit_app.py

Pages live in ``app_pages/`` and are UI only; scoring is in ``scoring/`` and
history in ``storage/`` (``DATABASE_URL``; the bank folder is ``MAINS_BANK_DIR``).
"""

import streamlit as st

from app_pages.context import keep_widget_values

st.set_page_config(page_title="UPSC Mains practice", page_icon="✍️", layout="wide")
keep_widget_values()

pages = [
    st.Page("app_pages/practice.py", title="Practice", icon=":material/edit_note:", url_path="practice", default=True),
    st.Page("app_pages/history.py", title="History", icon=":material/history:", url_path="history"),
    st.Page("app_pages/progress.py", title="Progress", icon=":material/insights:", url_path="progress"),
    st.Page("app_pages/question_bank.py", title="Question bank", icon=":material/library_books:", url_path="bank"),
    st.Page("app_pages/calibration.py", title="Calibration", icon=":material/tune:", url_path="calibration"),
]
st.navigation(pages).run()
