# Figures: each its own target; they read seed 0's test predictions at the main ratio.


# One rule per figure kind (figure_bands, figure_samples, figure_correlation,
# figure_calibration).
for _kind in FIGURE_KINDS:

    rule:
        name:
            f"figure_{_kind}"
        input:
            data="results/data/{problem}/test.nc",
            predictions=first_seed_predictions,
        output:
            report(
                f"results/figures/{{problem}}_{_kind}.png",
                caption=f"../report/{_kind}.rst",
                category="2. Problems",
                subcategory="{problem}",
            ),
            f"results/figures/{{problem}}_{_kind}.pdf",
        params:
            kind=_kind,
        log:
            f"logs/figures/{{problem}}_{_kind}.log",
        benchmark:
            f"benchmarks/figures/{{problem}}_{_kind}.tsv"
        conda:
            "../../envs/uqbench.yaml"
        script:
            "../../scripts/figure.py"


rule training_curves:
    input:
        lambda wc: [
            f
            for p in config["problems"]
            for f in run_files(
                f"results/models/{RUN}/train_log.csv",
                p,
                main_only=True,
                seeds=config["seeds"][:1],
                trained=True,
            )
        ],
    output:
        report(
            "results/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="5. Training",
        ),
        "results/figures/training_curves.pdf",
    log:
        "logs/figures/training_curves.log",
    benchmark:
        "benchmarks/figures/training_curves.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/training_curves.py"


rule ratio_figure:
    input:
        ratio_study_metrics,
    output:
        report(
            "results/figures/ratio_study.png",
            caption="../report/ratio_study.rst",
            category="3. Ratio study",
        ),
        "results/figures/ratio_study.pdf",
    log:
        "logs/figures/ratio_study.log",
    benchmark:
        "benchmarks/figures/ratio_study.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/ratio_figure.py"


rule ood_auroc_figure:
    input:
        ood_auroc_metrics,
    output:
        report(
            "results/figures/ood_auroc.png",
            caption="../report/ood_auroc.rst",
            category="4. Out of distribution",
        ),
        "results/figures/ood_auroc.pdf",
    log:
        "logs/figures/ood_auroc.log",
    benchmark:
        "benchmarks/figures/ood_auroc.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/ood_auroc_figure.py"


# The shift ladder of one problem: spread ratio and OOD AUROC against the rung (test, then
# ood_mild, ood, ood_strong), every method at the main ratio, all seeds.
rule shift_figure:
    input:
        lambda wc: [
            f
            for split in EVAL_SPLITS
            for f in run_files(
                f"results/metrics/{RUN}/{{split}}.json", wc.problem, main_only=True, split=split
            )
        ],
    output:
        report(
            "results/figures/{problem}_shift.png",
            caption="../report/shift.rst",
            category="4. Out of distribution",
        ),
        "results/figures/{problem}_shift.pdf",
    log:
        "logs/figures/{problem}_shift.log",
    benchmark:
        "benchmarks/figures/{problem}_shift.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/shift_figure.py"


rule ablation_figure:
    input:
        ablation_metrics,
    output:
        report(
            "results/figures/{problem}_{base}_ablation.png",
            caption="../report/ablation.rst",
            category="7. Ablations",
            subcategory="{problem}",
        ),
        "results/figures/{problem}_{base}_ablation.pdf",
    params:
        main_ratio=float(MAIN_RATIO),
    log:
        "logs/figures/{problem}_{base}_ablation.log",
    benchmark:
        "benchmarks/figures/{problem}_{base}_ablation.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/ablation_figure.py"
