"""Rule train: fit one (problem, method, ratio, seed) -> model.pt and train_log.csv."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.train import Run, train

run = Run(
    problem=snakemake.wildcards.problem,
    method=snakemake.wildcards.method,
    ratio=snakemake.params.ratio,
    seed=int(snakemake.wildcards.seed),
    hyper=snakemake.params.hyper,
    recipe=snakemake.params.recipe,
    device=snakemake.params.device,
    divergence_factor=snakemake.params.divergence_factor,
    variant_of=snakemake.params.variant_of,
)
train(
    run,
    train_path=snakemake.input.train,
    val_path=snakemake.input.val,
    model_path=snakemake.output.model,
    log_path=snakemake.output.log,
    pretrained_path=snakemake.input.get("pretrained"),
    reference_path=snakemake.input.get("reference"),
)
