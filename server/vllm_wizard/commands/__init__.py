"""One module per `vllm-wizard` subcommand, each with `run(args) -> exit code`."""
