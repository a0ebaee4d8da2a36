"""Figures of the study (pure: records and arrays in, matplotlib figures out; the figures
stages save them), one module each: per-problem bands, samples and correlation
(``problem``), calibration, the training curves (``curves``), the ratio study, the OOD AUROC
(``ood``) and the shift ladder (``shift``). Import the modules: this package imports
nothing, so a figure job loads only what its figure needs (the study-level ones no torch)."""
