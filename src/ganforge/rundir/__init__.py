"""The run directory, its one owner: the layout of a run's folder (:mod:`.layout`), its lock
(:mod:`.lock`), its CSV logs (:mod:`.log`, :mod:`.metrics_log`) and event log
(:mod:`.events`), checkpoints (:mod:`.checkpoint`), ``summary.json`` (:mod:`.summary`), what a
resume starts from (:mod:`.resume`), and the one atomic writer every file goes through
(:mod:`.atomic`)."""
