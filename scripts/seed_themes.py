"""Fill a data directory with a seeded database of synthetic debriefs and their themes.

    .venv/bin/python scripts/seed_themes.py --data-dir /tmp/coach-demo [--seed 7]

See coach/educator/synthetic.py (what is planned) and coach/educator/README.md.
"""

from coach.educator.synthetic import main

if __name__ == "__main__":
    main()
