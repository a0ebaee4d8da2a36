"""The pipeline stages: the only library code that reads or writes files (through
``uqbench.io``) and knows a run's identity. Each rule's script calls one stage function; the
plug-in packages (problems, models, methods, metrics, plots) stay pure functions of
tensors, arrays and records."""
