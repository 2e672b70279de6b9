"""Educators: anonymised session themes, aggregated with k-anonymity, on a dashboard.

Modules (each owns one thing; see ``coach/educator/README.md``):

- ``vocabulary``  the fixed vocabularies a theme record may hold (nothing else can enter)
- ``records``     ``ThemeRecord``: one ended or abandoned debrief, de-identified
- ``derive``      offline rules: a ``DebriefState`` in, a ``ThemeRecord`` out
- ``llm_derive``  a configured chat model's suggested keys, on top of the rules
- ``tokens``      the keyed, non-reversible per-clinician token
- ``store``       ``ThemeStore``: the theme database (SQLite or PostgreSQL), opt-outs, the
                  release ledger
- ``releases``    what earlier reports published (the ledger's rows)
- ``timeline``    the time axis: cutoffs, closed weeks and running periods
- ``recorder``    ``ThemeRecorder``: the engine hook and the abandoned-session sweep
- ``suppression`` the cube of cells and k-anonymity with complementary suppression
- ``report``      the published view: JSON, CSV and the HTML page/report
- ``charts``      accessible server-side SVG charts (no JavaScript, works offline)
- ``routes``      ``/educator`` on Chainlit's FastAPI app, for educators and admins
- ``cli``         ``coach educator themes|report|sweep|opt-out|opt-in``
- ``synthetic``   a seeded database of synthetic debriefs (tests, demos)
"""
