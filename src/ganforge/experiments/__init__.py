"""Experiments over many runs: a study's plan and its runs (:mod:`.study`, :mod:`.study_run`),
their scores (:mod:`.study_results`, :mod:`.fid_curve`), and the two kinds of study,
``compare`` (:mod:`.comparison`) and ``ablate`` (:mod:`.ablation`)."""
