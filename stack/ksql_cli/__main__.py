"""``python -m stack.ksql_cli``: the ``ksql`` command without its console script."""

import sys

from stack.ksql_cli.main import main

sys.exit(main())
