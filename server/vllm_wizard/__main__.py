"""`python -m vllm_wizard` runs the command line."""

import sys

from vllm_wizard.cli import main

sys.exit(main())
