import sys

from labelassist.cli import main

sys.exit(main())
