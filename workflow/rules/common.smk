# Input functions, target lists and wildcard constraints shared by all rules. What each
# method is (ratio sweep, epistemic score, what it needs) comes from the torch-free catalogue
# (src/uqbench/catalogue.py); no method names are written in the rules.
from uqbench import catalogue
from uqbench.catalogue import DIVERGENCE_REFERENCE, NO_RATIO, ORACLE, ratio_label
from uqbench.plots.catalogue import FIGURES, figure_stem

# the splits of uqbench.problems.base.SPLITS (a test checks they agree): the shift ladder
# ood_mild, ood, ood_strong, from mild to strong; calib calibrates (+cp), so it is predicted
SHIFTS = ["ood_mild", "ood", "ood_strong"]
SPLITS = ["train", "val", "calib", "test", *SHIFTS]
EVAL_SPLITS = ["test", *SHIFTS]
PREDICT_SPLITS = ["calib", *EVAL_SPLITS]
if config["tiny"]:  # every problem's and method's tiny settings from its catalogue entry
    config.update(catalogue.tiny_config(config))
VARIANTS = config["variants"]  # {name: {method, hyper}}: catalogued methods under new names


def traits(method):
    """The catalogue traits of a method or a variant of the study."""
    return catalogue.traits(method, VARIANTS)


def select(methods, **want):
    return catalogue.select(methods, VARIANTS, **want)


catalogue.check_study(config["methods"], VARIANTS)  # unknown or missing methods fail here
# the methods each problem runs (config problem_methods, else all), checked the same way;
# the study's methods are those some problem runs
PROBLEM_METHODS = catalogue.problem_methods(
    config["methods"], config["problem_methods"], config["problems"], VARIANTS
)
STUDY_METHODS = [m for m in config["methods"] if any(m in ms for ms in PROBLEM_METHODS.values())]
RATIO_METHODS = select(STUDY_METHODS, sweeps_ratio=True)
# methods run with variants in the study: each gets an ablation table and figure
ABLATED = list(
    dict.fromkeys(traits(m).variant_of for m in STUDY_METHODS if traits(m).variant_of)
)
SCORE_METHODS = select(STUDY_METHODS, epistemic=True)
SAMPLE_METHODS = select(STUDY_METHODS, samples=True)
TRAINED = "|".join(select(STUDY_METHODS, trained=True)) or "(?!)"
RATIOS = [ratio_label(r) for r in config["ratios"]]
MAIN_RATIO = ratio_label(config["main_ratio"])
if MAIN_RATIO not in RATIOS:
    raise ValueError(f"config key main_ratio={MAIN_RATIO} must be one of ratios={RATIOS}")
RUN = "{problem}/{method}/r{ratio}/s{seed}"
# the problems whose (r) methods sweep every ratio: the ratio study's
SWEPT_PROBLEMS = [p for p in config["problems"] if p in config["ratio_problems"]]


wildcard_constraints:
    problem="|".join(config["problems"]),
    method="|".join(config["methods"]),
    split="|".join(SPLITS),
    ratio="|".join([NO_RATIO, *(r.replace(".", r"\.") for r in RATIOS)]),
    seed=r"\d+",
    base="|".join(ABLATED) or "(?!)",


def data_settings(wildcards):
    """The config slice of one problem (data.<problem>): all generate_data needs."""
    return config["data"][wildcards.problem]


def methods_of(problem):
    """The methods a problem runs, in the study's order."""
    return PROBLEM_METHODS[problem]


def checkpoint(problem, method, seed):
    """The checkpoint of a method that does not sweep the ratio (same problem and seed)."""
    return f"results/models/{problem}/{method}/r{NO_RATIO}/s{seed}/model.pt"


def train_inputs(wildcards):
    """Training data; the trained model a method works on (catalogue ``needs``); and the
    divergence reference's checkpoint (same problem and seed) that a learned method's
    validation error is compared with, when the study runs it."""
    p, s = wildcards.problem, wildcards.seed
    files = {"train": f"results/data/{p}/train.nc", "val": f"results/data/{p}/val.nc"}
    t = traits(wildcards.method)
    if t.needs:
        files["pretrained"] = checkpoint(p, t.needs[0], s)
    if t.divergence_checked and DIVERGENCE_REFERENCE in methods_of(p):
        files["reference"] = checkpoint(p, DIVERGENCE_REFERENCE, s)
    return files


def method_hyper(wildcards):
    """A method's hyper slice on a problem: its base's, the problem's training budget, the
    problem's overrides, a variant's overrides on top."""
    return catalogue.variant_hyper(
        wildcards.method,
        config["hyper"],
        VARIANTS,
        config["problem_hyper"],
        wildcards.problem,
        config["budgets"],
    )


def variant_of(wildcards):
    """The catalogued method a variant runs (None for a catalogued method)."""
    return traits(wildcards.method).variant_of


def base_recipe(wildcards):
    """The training recipe of the problem's base model (base_model.<problem>)."""
    return config["base_model"][wildcards.problem]


def ratio_value(wildcards):
    return None if wildcards.ratio == NO_RATIO else float(wildcards.ratio)


def ratios_of(method, problem, main_only=False):
    """The ratios a method runs at on a problem: every ratio where it sweeps them (a problem
    of config ratio_problems), else the main one; NO_RATIO when it uses none."""
    t = traits(method)
    if not t.uses_ratio:
        return [NO_RATIO]
    sweep = t.sweeps_ratio and problem in SWEPT_PROBLEMS and not main_only
    return RATIOS if sweep else [MAIN_RATIO]


def runs(problem, main_only=False, seeds=None, methods=None, trained=False):
    """(method, ratio, seed) of every run of a problem, as dicts for expand/format;
    ``trained``: only runs with a training job (not the oracle)."""
    return [
        dict(problem=problem, method=m, ratio=r, seed=s)
        for m in methods_of(problem)
        if (methods is None or m in methods) and not (trained and not traits(m).trained)
        for r in ratios_of(m, problem, main_only)
        for s in (seeds or config["seeds"])
    ]


def run_files(pattern, problem, main_only=False, seeds=None, methods=None, trained=False, **extra):
    return [
        pattern.format(**run, **extra)
        for run in runs(problem, main_only, seeds, methods, trained)
    ]


def all_data_files():
    return expand(
        "results/data/{problem}/{split}.nc", problem=config["problems"], split=SPLITS
    )


def metric_files(problem):
    """The test and shift-rung metrics of every run of a problem."""
    return [
        f
        for split in EVAL_SPLITS
        for f in run_files(f"results/metrics/{RUN}/{{split}}.json", problem, split=split)
    ]


def all_metric_files():
    return [f for p in config["problems"] for f in metric_files(p)]


def first_seed_predictions(wildcards):
    """Seed 0's test predictions at the main ratio of every method that draws samples."""
    return run_files(
        f"results/predictions/{RUN}/test.nc",
        wildcards.problem,
        main_only=True,
        seeds=config["seeds"][:1],
        methods=SAMPLE_METHODS,
    )


def ratio_study_metrics(wildcards=None):
    """Test metrics of every (r) method at every ratio, all seeds, on the problems that
    sweep the ratio."""
    return [
        f
        for p in SWEPT_PROBLEMS
        for f in run_files(f"results/metrics/{RUN}/test.json", p, methods=RATIO_METHODS)
    ]


def claims_metrics(wildcards=None):
    """Test metrics of every run at the main ratio, and of the ratio study: all problems and
    seeds (the claims table reads what it needs)."""
    main = [
        f
        for p in config["problems"]
        for f in run_files(f"results/metrics/{RUN}/test.json", p, main_only=True)
    ]
    return sorted(set(main + ratio_study_metrics()))


def ratio_study_targets():
    """The ratio-study table, when a problem of ratio_problems runs an (r) method."""
    return ["results/tables/ratio_study.csv"] if ratio_study_metrics() else []


def ood_auroc_metrics(wildcards=None):
    """Test metrics (they hold ood_auroc) of every scoring method, all problems and seeds."""
    return [
        f
        for p in config["problems"]
        for f in run_files(
            f"results/metrics/{RUN}/test.json", p, main_only=True, methods=SCORE_METHODS
        )
    ]


def benchmark_files(wildcards=None):
    """Benchmark files of every data, truth-statistics, train, predict and evaluate job, by
    rule."""
    files = {"data": [f"benchmarks/data/{p}/{s}.tsv" for p in config["problems"] for s in SPLITS]}
    files["truth"] = [f"benchmarks/truth/{p}.tsv" for p in config["problems"]]
    for step in ("train", "predict", "evaluate"):
        files[step] = [
            f
            for p in config["problems"]
            for f in run_files(f"benchmarks/{step}/{RUN}.tsv", p, trained=step == "train")
        ]
    return files


def ablation_members(base, problem):
    """A method and its variants that a problem runs, in the study's order."""
    return [m for m in methods_of(problem) if traits(m).base == base]


def ablated_on(problem):
    """The methods a problem runs with at least one of their variants."""
    return [b for b in ABLATED if len(ablation_members(b, problem)) > 1]


def ablation_metrics(wildcards):
    """Test metrics of a method, its variants and the deterministic model at the main
    ratio, all seeds, on one problem."""
    members = [*ablation_members(wildcards.base, wildcards.problem), DIVERGENCE_REFERENCE]
    return run_files(
        f"results/metrics/{RUN}/test.json", wildcards.problem, main_only=True, methods=members
    )


def ablation_logs(wildcards):
    """Training logs of a method and its variants at the main ratio, all seeds."""
    return run_files(
        f"results/models/{RUN}/train_log.csv",
        wildcards.problem,
        main_only=True,
        methods=ablation_members(wildcards.base, wildcards.problem),
        trained=True,
    )


def ablation_targets(problems=None):
    """The ablation table of every method run with variants, per problem (of ``problems``,
    default all)."""
    return [
        f"results/tables/{p}_{b}_ablation.csv"
        for p in problems or config["problems"]
        for b in ablated_on(p)
    ]


def first_seed_sources(wildcards):
    """A problem's test split, then seed 0's test predictions at the main ratio of every
    method that draws samples (``plots.catalogue.Sources``)."""
    return [f"results/data/{wildcards.problem}/test.nc", *first_seed_predictions(wildcards)]


def first_seed_logs(wildcards=None):
    """Seed 0's training logs at the main ratio, every problem and trained method."""
    return [
        f
        for p in config["problems"]
        for f in run_files(
            f"results/models/{RUN}/train_log.csv",
            p,
            main_only=True,
            seeds=config["seeds"][:1],
            trained=True,
        )
    ]


def shift_metrics(wildcards):
    """Test and shift-rung metrics of every run of a problem at the main ratio."""
    return [
        f
        for split in EVAL_SPLITS
        for f in run_files(
            f"results/metrics/{RUN}/{{split}}.json", wildcards.problem, main_only=True, split=split
        )
    ]


# the files each figure reads (plots.catalogue.FigureEntry.runs -> input function)
FIGURE_RUNS = {
    "first_seed_predictions": first_seed_sources,
    "first_seed_logs": first_seed_logs,
    "ratio_study": ratio_study_metrics,
    "scored": ood_auroc_metrics,
    "shift": shift_metrics,
    "ablation": ablation_metrics,
}
# a figure that needs a kind of method is drawn when the study runs one
FIGURE_NEEDS = {"sweeps_ratio": ratio_study_metrics(), "epistemic": SCORE_METHODS}


def problem_targets(problem):
    """One problem's part of the study: its runs' metrics, its metrics table, figures and
    ablation tables (not the tables and figures that combine problems)."""
    return [
        *metric_files(problem),
        f"results/tables/{problem}_metrics.csv",
        *figure_targets(problem),
        *ablation_targets([problem]),
    ]


def figure_wildcards(per):
    """The values a figure's wildcards (``per``) take in the study, as dicts: every problem;
    with ``base``, every method a problem runs with its variants."""
    combos = [{"problem": p} for p in config["problems"]] if "problem" in per else [{}]
    if "base" in per:
        combos = [
            {**c, "base": b}
            for c in combos
            for b in (ablated_on(c["problem"]) if "problem" in c else ABLATED)
        ]
    return combos


def figure_targets(problem=None):
    """The PNG of every registered figure the study draws, for each value of its wildcards;
    with ``problem``, only the figures drawn per problem for that one."""
    return [
        f"results/figures/{figure_stem(name)}.png".format(**values)
        for name, entry in FIGURES.items()
        if entry.needs is None or FIGURE_NEEDS[entry.needs]
        for values in figure_wildcards(entry.per)
        if problem is None or values.get("problem") == problem
    ]
