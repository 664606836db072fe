"""The run directory, its one owner: the layout of a run's folder (:mod:`.layout`), its lock
(:mod:`.lock`), its CSV logs (:mod:`.log`, :mod:`.metrics_log`) and event log
(:mod:`.events`), checkpoints (:mod:`.checkpoint`) and what they must be
(:mod:`.checkpoint_checks`), ``summary.json`` (:mod:`.summary`), what a resume starts from
(:mod:`.resume`), the one atomic writer every file goes through (:mod:`.atomic`), the one
path rule every file is opened by (:mod:`.confine`) and the gate of what is read back
(:mod:`.records`)."""
