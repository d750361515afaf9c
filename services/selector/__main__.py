from labelassist.selector.server import main

raise SystemExit(main())
