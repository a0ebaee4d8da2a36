"""Reporting: metrics records in, what a reader sees out. ``summary`` (records over seeds:
the rows the tables and the study figures share), ``tables``, ``claims``, ``validate``
(``make validate``'s check) and ``cost``. Torch-free: the table jobs import nothing heavier
than numpy."""
