# Figures: one rule per entry of uqbench.plots.catalogue.FIGURES (figure_bands, ...,
# figure_ablation), each its own target; what a figure reads and per what it is drawn come
# from its entry, its caption from workflow/report/<name>.rst. PNG, and PDF beside it unless
# config figure_pdf is false.


for _name, _entry in FIGURES.items():
    _stem = figure_stem(_name)
    _sub = {"subcategory": "{problem}"} if "problem" in _entry.per else {}

    rule:
        name:
            f"figure_{_name}"
        input:
            FIGURE_RUNS[_entry.runs],
        output:
            report(
                f"results/figures/{_stem}.png",
                caption=f"../report/{_name}.rst",
                category=_entry.category,
                **_sub,
            ),
            *([f"results/figures/{_stem}.pdf"] if config["figure_pdf"] else []),
        params:
            name=_name,
            main_ratio=float(MAIN_RATIO),
        log:
            f"logs/figures/{_stem}.log",
        benchmark:
            f"benchmarks/figures/{_stem}.tsv"
        conda:
            "../../envs/uqbench.yaml"
        script:
            "../../scripts/figure.py"
