# Input functions, target lists and wildcard constraints shared by all rules. What each
# method is (ratio sweep, epistemic score, what it needs) comes from the torch-free catalogue
# (src/uqbench/catalogue.py); no method names are written in the rules.
from uqbench import catalogue
from uqbench.catalogue import DIVERGENCE_REFERENCE, NO_RATIO, ORACLE, ratio_label

# the splits of uqbench.problems.base.SPLITS (a test checks they agree): the shift ladder
# ood_mild, ood, ood_strong, from mild to strong; calib calibrates (+cp), so it is predicted
SHIFTS = ["ood_mild", "ood", "ood_strong"]
SPLITS = ["train", "val", "calib", "test", *SHIFTS]
EVAL_SPLITS = ["test", *SHIFTS]
PREDICT_SPLITS = ["calib", *EVAL_SPLITS]
FIGURE_KINDS = ["bands", "samples", "correlation", "calibration"]  # one figure per problem
if config["tiny"]:  # every problem's and method's tiny settings from its catalogue entry
    config.update(catalogue.tiny_config(config))
VARIANTS = config["variants"]  # {name: {method, hyper}}: catalogued methods under new names


def traits(method):
    """The catalogue traits of a method or a variant of the study."""
    return catalogue.traits(method, VARIANTS)


def select(methods, **want):
    return catalogue.select(methods, VARIANTS, **want)


catalogue.check_study(config["methods"], VARIANTS)  # unknown or missing methods fail here
RATIO_METHODS = select(config["methods"], sweeps_ratio=True)
# methods run with variants in the study: each gets an ablation table and figure
ABLATED = list(
    dict.fromkeys(traits(m).variant_of for m in config["methods"] if traits(m).variant_of)
)
SCORE_METHODS = select(config["methods"], epistemic=True)
SAMPLE_METHODS = select(config["methods"], samples=True)
TRAINED = "|".join(select(config["methods"], trained=True)) or "(?!)"
RATIOS = [ratio_label(r) for r in config["ratios"]]
MAIN_RATIO = ratio_label(config["main_ratio"])
if MAIN_RATIO not in RATIOS:
    raise ValueError(f"config key main_ratio={MAIN_RATIO} must be one of ratios={RATIOS}")
RUN = "{problem}/{method}/r{ratio}/s{seed}"


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
    if t.divergence_checked and DIVERGENCE_REFERENCE in config["methods"]:
        files["reference"] = checkpoint(p, DIVERGENCE_REFERENCE, s)
    return files


def method_hyper(wildcards):
    """A method's hyper slice on a problem: its base's, the problem's overrides (budgets),
    a variant's overrides on top."""
    return catalogue.variant_hyper(
        wildcards.method, config["hyper"], VARIANTS, config["problem_hyper"], wildcards.problem
    )


def variant_of(wildcards):
    """The catalogued method a variant runs (None for a catalogued method)."""
    return traits(wildcards.method).variant_of


def base_recipe(wildcards):
    """The training recipe of the problem's base model (base_model.<problem>)."""
    return config["base_model"][wildcards.problem]


def ratio_value(wildcards):
    return None if wildcards.ratio == NO_RATIO else float(wildcards.ratio)


def ratios_of(method, main_only=False):
    t = traits(method)
    if not t.uses_ratio:
        return [NO_RATIO]
    return [MAIN_RATIO] if main_only or not t.sweeps_ratio else RATIOS


def runs(problem, main_only=False, seeds=None, methods=None, trained=False):
    """(method, ratio, seed) of every run of a problem, as dicts for expand/format;
    ``trained``: only runs with a training job (not the oracle)."""
    return [
        dict(problem=problem, method=m, ratio=r, seed=s)
        for m in config["methods"]
        if (methods is None or m in methods) and not (trained and not traits(m).trained)
        for r in ratios_of(m, main_only)
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


def all_metric_files():
    return [
        f
        for p in config["problems"]
        for split in EVAL_SPLITS
        for f in run_files(f"results/metrics/{RUN}/{{split}}.json", p, split=split)
    ]


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
    """Test metrics of every (r) method at every ratio, all problems and seeds."""
    return [
        f
        for p in config["problems"]
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
    """The ratio-study table and figure, when the study runs any (r) method."""
    if not RATIO_METHODS:
        return []
    return ["results/tables/ratio_study.csv", "results/figures/ratio_study.png"]


def ood_auroc_metrics(wildcards=None):
    """Test metrics (they hold ood_auroc) of every scoring method, all problems and seeds."""
    return [
        f
        for p in config["problems"]
        for f in run_files(
            f"results/metrics/{RUN}/test.json", p, main_only=True, methods=SCORE_METHODS
        )
    ]


def ood_auroc_targets():
    """The OOD AUROC figure, when the study runs any method with an epistemic score."""
    if not SCORE_METHODS:
        return []
    return ["results/figures/ood_auroc.png"]


def benchmark_files(wildcards=None):
    """Benchmark files of every data, truth-statistics, train, predict and evaluate job, by
    rule."""
    files = {"data": [f"benchmarks/data/{p}/{s}.tsv" for p in config["problems"] for s in SPLITS]}
    files["truth"] = [
        f"benchmarks/truth/{p}/{s}.tsv" for p in config["problems"] for s in EVAL_SPLITS
    ]
    for step in ("train", "predict", "evaluate"):
        files[step] = [
            f
            for p in config["problems"]
            for f in run_files(f"benchmarks/{step}/{RUN}.tsv", p, trained=step == "train")
        ]
    return files


def ablation_metrics(wildcards):
    """Test metrics of a method, its variants and the deterministic model at the main
    ratio, all seeds, on one problem."""
    members = [
        m
        for m in config["methods"]
        if traits(m).base == wildcards.base or m == DIVERGENCE_REFERENCE
    ]
    return run_files(
        f"results/metrics/{RUN}/test.json", wildcards.problem, main_only=True, methods=members
    )


def ablation_targets():
    """The ablation table and figure of every method run with variants, per problem."""
    return [
        f"results/{kind}/{p}_{b}_ablation.{ext}"
        for p in config["problems"]
        for b in ABLATED
        for kind, ext in (("tables", "csv"), ("figures", "png"))
    ]
