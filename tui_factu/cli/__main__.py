"""`python -m tui_factu.cli …`, the same as `tui-factu …`."""
import sys

from .main import main

sys.exit(main())
