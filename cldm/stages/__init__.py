"""One entry point per workflow stage: read the inputs, call the library, write the outputs with
their provenance. The rule scripts in scripts/ only map Snakemake's inputs, outputs and params
onto these functions, so every stage also runs (and is tested) without Snakemake."""
