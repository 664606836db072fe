"""The engine: trains one run. The GAN step (:mod:`.step`), the loop (:mod:`.trainer`), what
it writes (:mod:`.outputs`), the divergence guard, data-parallel agreement, speed options,
memory accounting, signals and the learning-rate decay. It knows no recipe."""
