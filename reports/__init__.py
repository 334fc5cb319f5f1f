"""Reports: pure functions from data to bytes (pictures, files), run off the event loop.

Rule: nothing here does I/O, reads a clock, or knows Telegram or SQL; texts arrive translated.
Pictures are drawn with `matplotlib.figure.Figure` and the Agg canvas, never `pyplot`'s global
state, and rendered in a worker process (`reports/worker.py`) so the bot's event loop never
waits on a drawing.
"""
